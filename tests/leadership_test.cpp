// Whether this daemon leads (leadership.h), fed made-up lease outcomes at
// made-up times: nothing sleeps, nothing touches a database.

#include "leadership.h"

#include <gtest/gtest.h>

namespace segmentd {
namespace {

using namespace std::chrono_literals;
using State = Leadership::State;
const Leadership::SteadyTime t0{std::chrono::hours(1)};

LeaseClaimant me() {
  return {"host-a pid 7 token x", "host-a", 7};
}

LeaseState held_by_me(std::uint64_t epoch) {
  LeaseState s;
  s.leading = true;
  s.row.holder = me().holder;
  s.row.host = "host-a";
  s.row.pid = 7;
  s.row.epoch = epoch;
  s.row.live = true;
  s.row.expires_in = 15s;
  return s;
}

LeaseState held_by_other(std::uint64_t epoch, std::chrono::milliseconds expires_in) {
  LeaseState s;
  s.row.holder = "host-b pid 9 token y";
  s.row.host = "host-b";
  s.row.pid = 9;
  s.row.epoch = epoch;
  s.row.live = expires_in > 0ms;
  s.row.expires_in = expires_in;
  return s;
}

TEST(Leadership, StartsStandingByWithNoFence) {
  Leadership l(me(), 15s);
  EXPECT_EQ(l.state(), State::Standby);
  EXPECT_FALSE(l.fence());
  EXPECT_FALSE(l.office_due());
  EXPECT_FALSE(l.leading());
}

TEST(Leadership, TakingTheLeaseElectsThenOfficeMakesItLead) {
  Leadership l(me(), 15s);
  const auto v = l.renewed(held_by_me(4), t0);
  EXPECT_TRUE(v.acquired);
  EXPECT_EQ(v.next, 5s) << "renewed every third of the length";
  EXPECT_EQ(l.state(), State::Elected);
  ASSERT_TRUE(l.fence());
  EXPECT_EQ(l.fence()->epoch, 4u);
  EXPECT_EQ(l.fence()->holder, me().holder);
  EXPECT_TRUE(l.office_due());
  EXPECT_FALSE(l.leading()) << "no loads or refreshes before office is taken";
  EXPECT_TRUE(l.first_office());
  l.office_taken();
  EXPECT_EQ(l.state(), State::InOffice);
  EXPECT_TRUE(l.leading());
  EXPECT_FALSE(l.office_due());
  EXPECT_FALSE(l.first_office());
  EXPECT_FALSE(l.renewed(held_by_me(4), t0 + 5s).acquired) << "a renewal of the same epoch is not news";
  EXPECT_EQ(l.state(), State::InOffice);
}

TEST(Leadership, ANewEpochOfItsOwnMeansOfficeAgain) {
  Leadership l(me(), 15s);
  l.renewed(held_by_me(4), t0);
  l.office_taken();
  const auto v = l.renewed(held_by_me(6), t0 + 5s);  // lapsed and taken again
  EXPECT_TRUE(v.acquired);
  EXPECT_EQ(l.state(), State::Elected);
  EXPECT_EQ(l.epoch(), 6u);
}

TEST(Leadership, ANewSessionTakesOfficeAgainButKeepsTheLease) {
  Leadership l(me(), 15s);
  l.renewed(held_by_me(4), t0);
  l.office_taken();
  l.session_lost();
  EXPECT_EQ(l.state(), State::Elected);
  EXPECT_TRUE(l.office_due());
  EXPECT_TRUE(l.fence()) << "the lease is still held";
}

TEST(Leadership, AFailedOfficeWaitsForTheNextRenewal) {
  Leadership l(me(), 15s);
  l.renewed(held_by_me(4), t0);
  l.office_failed();
  EXPECT_FALSE(l.office_due());
  l.renewed(held_by_me(4), t0 + 5s);
  EXPECT_TRUE(l.office_due());
}

TEST(Leadership, AnOfficeThatEndsAfterDepositionIsIgnored) {
  Leadership l(me(), 15s);
  l.renewed(held_by_me(4), t0);
  l.renewed(held_by_other(5, 15s), t0 + 5s);
  l.office_taken();
  EXPECT_EQ(l.state(), State::Standby);
  EXPECT_TRUE(l.first_office()) << "no office was held";
}

TEST(Leadership, DeposedByAnotherHolderStepsDownAndNamesIt) {
  Leadership l(me(), 15s);
  l.renewed(held_by_me(4), t0);
  l.office_taken();
  const auto v = l.renewed(held_by_other(5, 12s), t0 + 5s);
  ASSERT_TRUE(v.stepped_down);
  EXPECT_EQ(*v.stepped_down, "epoch 5 is held by host-b pid 9");
  EXPECT_TRUE(v.holder_changed);
  EXPECT_EQ(l.state(), State::Standby);
  EXPECT_FALSE(l.fence());
}

TEST(Leadership, StandbyTriesJustAfterTheLeasesExpiry) {
  Leadership l(me(), 15s);
  EXPECT_EQ(l.renewed(held_by_other(5, 2s), t0).next, 2050ms) << "sooner than a third of the length";
  EXPECT_EQ(l.renewed(held_by_other(5, 12s), t0).next, 5s) << "no later than a third";
  EXPECT_EQ(l.renewed(held_by_other(5, -3s), t0).next, 50ms) << "an expired lease: at once";
}

TEST(Leadership, AHolderIsReportedOnceWhileStandingBy) {
  Leadership l(me(), 15s);
  EXPECT_TRUE(l.renewed(held_by_other(5, 12s), t0).holder_changed);
  EXPECT_FALSE(l.renewed(held_by_other(5, 8s), t0 + 5s).holder_changed);
  auto other = held_by_other(6, 12s);
  other.row.holder = "host-c pid 3 token z";
  EXPECT_TRUE(l.renewed(other, t0 + 10s).holder_changed);
}

TEST(Leadership, FailuresWithinTheLengthKeepTheLease) {
  Leadership l(me(), 15s);
  l.renewed(held_by_me(4), t0);
  l.office_taken();
  const auto first = l.renewal_failed("lost", false, t0 + 5s);
  EXPECT_TRUE(first.first_failure);
  EXPECT_FALSE(first.stepped_down);
  EXPECT_EQ(first.next, 5s);
  const auto second = l.renewal_failed("lost", false, t0 + 14s);
  EXPECT_FALSE(second.first_failure) << "logged once per run of failures";
  EXPECT_FALSE(second.stepped_down);
  EXPECT_TRUE(l.leading());
  EXPECT_TRUE(l.renewed(held_by_me(4), t0 + 15s).renewed_again);
  EXPECT_FALSE(l.renewed(held_by_me(4), t0 + 20s).renewed_again);
}

TEST(Leadership, FailuresForTheWholeLengthStepDown) {
  Leadership l(me(), 15s);
  l.renewed(held_by_me(4), t0);
  l.office_taken();
  l.renewal_failed("gone", false, t0 + 5s);
  const auto v = l.renewal_failed("gone", false, t0 + 15s);
  ASSERT_TRUE(v.stepped_down);
  EXPECT_EQ(*v.stepped_down, "the lease could not be renewed for 15 s: gone");
  EXPECT_EQ(l.state(), State::Standby);
  EXPECT_FALSE(l.fence()) << "no writes start under a lease that may be another's";
}

TEST(Leadership, AFatalRenewalWaitsAWholeLength) {
  Leadership l(me(), 15s);
  EXPECT_EQ(l.renewal_failed("access denied", true, t0).next, 15s);
  EXPECT_EQ(l.state(), State::Standby);
}

TEST(Leadership, AReloadedLengthCountsFromTheNextRenewal) {
  Leadership l(me(), 15s);
  l.renewed(held_by_me(4), t0);
  l.set_lease_length(30s);
  EXPECT_EQ(l.renewed(held_by_me(4), t0 + 5s).next, 10s);
  EXPECT_FALSE(l.renewal_failed("x", false, t0 + 25s).stepped_down) << "20 s of 30";
  EXPECT_TRUE(l.renewal_failed("x", false, t0 + 35s).stepped_down);
}

}  // namespace
}  // namespace segmentd
