// Who may lead (lease.h) and what a standby does (planner.h), without a
// database or a clock.

#include "lease.h"

#include <gtest/gtest.h>

#include "planner.h"

namespace segmentd {
namespace {

const LeaseClaimant kMe{"me token 1", "host-a", 10};

LeaseRow held_by(const std::string& holder, bool live, const std::string& host = "host-b", unsigned pid = 20) {
  LeaseRow row;
  row.holder = holder;
  row.live = live;
  row.host = host;
  row.pid = pid;
  row.epoch = 4;
  return row;
}

TEST(LeaseDecision, TheHolderRenewsEvenAfterExpiryBecauseNobodyTookIt) {
  EXPECT_EQ(decide_lease(held_by(kMe.holder, true), kMe, false), LeaseMove::Renew);
  EXPECT_EQ(decide_lease(held_by(kMe.holder, false), kMe, false), LeaseMove::Renew);
}

TEST(LeaseDecision, ALiveLeaseOfAnotherIsRespectedUnlessItsProcessIsGone) {
  EXPECT_EQ(decide_lease(held_by("other", true), kMe, false), LeaseMove::Stand);
  EXPECT_EQ(decide_lease(held_by("other", true), kMe, true), LeaseMove::Take);
}

TEST(LeaseDecision, AnExpiredReleasedOrNeverTakenLeaseIsTaken) {
  EXPECT_EQ(decide_lease(held_by("other", false), kMe, false), LeaseMove::Take);
  LeaseRow released;
  released.epoch = 7;
  EXPECT_EQ(decide_lease(released, kMe, false), LeaseMove::Take);
  EXPECT_EQ(decide_lease(LeaseRow{}, kMe, false), LeaseMove::Take);
}

TEST(LeaseDecision, ARestartedProcessWithTheSamePidIsAnotherHolder) {
  // The token tells them apart: the old one's lease is not renewed by it.
  const LeaseClaimant restarted{"me token 2", kMe.host, kMe.pid};
  EXPECT_EQ(decide_lease(held_by(kMe.holder, true, kMe.host, kMe.pid), restarted, false), LeaseMove::Stand);
}

struct Standby {
  InboxQueue queue;
  SteadyTime now{std::chrono::hours(1)};
  PlanState state(bool leading, bool office_due = false) {
    PlanState s;
    s.now = now;
    s.connected = true;
    s.leading = leading;
    s.office_due = office_due;
    s.settings_due = true;
    s.heartbeat_due = true;
    s.retention_due = true;
    s.refresh = RefreshRequest{RefreshTrigger::Schedule, "test", false, {}};
    s.queue = &queue;
    return s;
  }
};

TEST(LeaseDecision, AStandbyLoadsRefreshesAndWritesNothing) {
  Standby f;
  f.queue.offer("/in/orders.csv", f.now);
  ASSERT_NE(f.queue.next_load(f.now), nullptr);
  EXPECT_EQ(plan_next(f.state(false)).kind, ActionKind::Nothing);
  // A leader takes office first, then does the work.
  EXPECT_EQ(plan_next(f.state(false, true)).kind, ActionKind::TakeOffice);
  EXPECT_EQ(plan_next(f.state(true)).kind, ActionKind::ApplySettings);
}

}  // namespace
}  // namespace segmentd
