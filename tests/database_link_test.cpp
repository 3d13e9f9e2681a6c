// The worker's session and its outages (database_link.h) at made-up
// times: the outage's start, its name, the backoff and the recovery.

#include "database_link.h"

#include <gtest/gtest.h>

namespace segmentd {
namespace {

using namespace std::chrono_literals;
const DatabaseLink::SteadyTime t0{std::chrono::hours(1)};
const std::chrono::system_clock::time_point wall{std::chrono::seconds(1700000000)};

TEST(DatabaseLink, TheFirstConnectIsNotARecovery) {
  DatabaseLink link(1s, 60s);
  EXPECT_FALSE(link.is_connected());
  const auto c = link.connected(t0);
  EXPECT_TRUE(c.first_ever);
  EXPECT_FALSE(c.outage);
  EXPECT_TRUE(link.is_connected());
  EXPECT_TRUE(link.ever_connected());
}

TEST(DatabaseLink, AnOutageBeginsOnceAndIsNamedByItsStart) {
  DatabaseLink link(1s, 60s);
  std::mt19937 rng(1);
  link.connected(t0);
  const auto first = link.lost(t0 + 10s, wall, rng);
  EXPECT_TRUE(first.outage_began);
  EXPECT_TRUE(first.was_connected);
  EXPECT_FALSE(first.outage_so_far);
  EXPECT_EQ(first.attempt, 1u);
  EXPECT_EQ(link.outage_subject(), "outage since 1700000000");
  const auto second = link.lost(t0 + 12s, wall + 2s, rng);
  EXPECT_FALSE(second.outage_began) << "a failed reconnect is the same outage";
  EXPECT_FALSE(second.was_connected);
  ASSERT_TRUE(second.outage_so_far);
  EXPECT_EQ(*second.outage_so_far, 2s);
  EXPECT_EQ(second.attempt, 2u);
  EXPECT_EQ(link.outage_subject(), "outage since 1700000000") << "alerts of one outage share a subject";
}

TEST(DatabaseLink, BackoffDoublesToItsCapWithAtMostAQuarterJitter) {
  DatabaseLink link(1s, 8s);
  std::mt19937 rng(7);
  const std::chrono::milliseconds base[] = {1s, 2s, 4s, 8s, 8s, 8s};
  for (const auto b : base) {
    const auto d = link.lost(t0, wall, rng).retry_in;
    EXPECT_GE(d, b);
    EXPECT_LE(d, b + b / 4);
  }
}

TEST(DatabaseLink, ARecoveryReportsTheOutageAndResetsTheBackoff) {
  DatabaseLink link(1s, 60s);
  std::mt19937 rng(3);
  link.connected(t0);
  link.lost(t0 + 10s, wall, rng);
  link.lost(t0 + 12s, wall, rng);
  link.lost(t0 + 16s, wall, rng);
  const auto back = link.connected(t0 + 40s);
  EXPECT_FALSE(back.first_ever);
  ASSERT_TRUE(back.outage);
  EXPECT_EQ(*back.outage, 30s);
  EXPECT_EQ(back.attempts, 3u);
  EXPECT_FALSE(link.in_outage());
  const auto again = link.lost(t0 + 50s, wall, rng);
  EXPECT_TRUE(again.outage_began);
  EXPECT_EQ(again.attempt, 1u);
  EXPECT_LE(again.retry_in, 1250ms) << "the backoff starts over";
}

TEST(DatabaseLink, AnUnreachableStartIsAnOutageToo) {
  DatabaseLink link(1s, 60s);
  std::mt19937 rng(1);
  const auto lost = link.lost(t0, wall, rng);
  EXPECT_TRUE(lost.outage_began);
  EXPECT_FALSE(lost.was_connected);
  const auto c = link.connected(t0 + 5s);
  EXPECT_TRUE(c.first_ever);
  ASSERT_TRUE(c.outage);
  EXPECT_EQ(*c.outage, 5s);
}

}  // namespace
}  // namespace segmentd
