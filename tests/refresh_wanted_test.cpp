// The one waiting refresh and the requests events make (refresh_wanted.h),
// at made-up times.

#include "refresh_wanted.h"

#include <gtest/gtest.h>

namespace segmentd {
namespace {

using namespace std::chrono_literals;
const SteadyTime t0{std::chrono::hours(1)};

TEST(RefreshWanted, AfterDataIsDueADebounceAfterTheNewestArrival) {
  RefreshWanted w;
  w.after_data("segmentd after ingest", t0, 5s);
  ASSERT_TRUE(w.waiting());
  EXPECT_TRUE(w.waiting()->debounced);
  EXPECT_EQ(w.waiting()->due, t0 + 5s);
  w.after_data("segmentd after ingest", t0 + 3s, 5s);
  EXPECT_EQ(w.waiting()->due, t0 + 8s) << "a later file pushes the quiet time on";
  w.after_data("segmentd after ingest", std::nullopt, 5s);
  EXPECT_EQ(w.waiting()->due, t0 + 8s) << "with the inbox empty, counted from the newest arrival known";
  w.after_data("segmentd after ingest", t0 + 1s, 5s);
  EXPECT_EQ(w.waiting()->due, t0 + 8s) << "never earlier than an arrival already seen";
}

TEST(RefreshWanted, TakeEmptiesItAndDropForgetsIt) {
  RefreshWanted w;
  w.want({RefreshTrigger::Schedule, "segmentd schedule daily", false, {}});
  const RefreshRequest r = w.take();
  EXPECT_EQ(r.trigger, RefreshTrigger::Schedule);
  EXPECT_FALSE(w.waiting());
  w.want({RefreshTrigger::Catchup, "segmentd catch-up", false, {}});
  w.drop();
  EXPECT_FALSE(w.waiting());
}

TEST(RefreshWanted, ARefreshLostWithTheConnectionRunsAsSoonAsItIsBack) {
  RefreshWanted w;
  const RefreshRequest lost{RefreshTrigger::File, "segmentd after ingest", true, t0 + 5s};
  w.lost_with_connection(lost, t0 + 30s);
  ASSERT_TRUE(w.waiting());
  EXPECT_EQ(w.waiting()->due, t0 + 30s);
  EXPECT_EQ(w.waiting()->trigger, RefreshTrigger::File);
}

TEST(RefreshWanted, OnlyARefreshAfterDataIsRetriedWhenSkipped) {
  RefreshWanted w;
  EXPECT_FALSE(w.skipped({RefreshTrigger::Schedule, "segmentd schedule daily", false, {}}, t0, 10s));
  EXPECT_FALSE(w.waiting()) << "a skipped schedule is not retried: the lock holder refreshed";
  EXPECT_TRUE(w.skipped({RefreshTrigger::File, "segmentd after ingest", true, t0}, t0, 10s));
  ASSERT_TRUE(w.waiting());
  EXPECT_TRUE(w.waiting()->only_if_owed) << "asked again, run only if data is still owed";
  EXPECT_TRUE(w.waiting()->debounced);
  EXPECT_EQ(w.waiting()->due, t0 + 10s);
}

// A refresh whose swap keeps waiting its limit for a reader is tried again,
// later each time, and only while data is owed; a success starts over.
TEST(RefreshWanted, ATransientFailureIsRetriedBackingOff) {
  RefreshWanted r;
  const RefreshRequest after_data{RefreshTrigger::File, "segmentd after ingest", true, t0};
  std::vector<long> waits;
  for (int i = 0; i < 8; ++i) {
    const auto wait = r.failed_transiently(after_data, t0, std::chrono::seconds(10));
    ASSERT_TRUE(wait);
    waits.push_back(static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(*wait).count()));
    ASSERT_TRUE(r.waiting());
    EXPECT_TRUE(r.waiting()->only_if_owed);
    EXPECT_EQ(r.waiting()->due, t0 + *wait);
    r.take();
  }
  EXPECT_EQ(waits, (std::vector<long>{10, 20, 40, 80, 160, 320, 320, 320}));
  r.succeeded();
  EXPECT_EQ(r.failed_transiently(after_data, t0, std::chrono::seconds(10)), std::chrono::seconds(10));
  r.take();
  const RefreshRequest scheduled{RefreshTrigger::Schedule, "segmentd schedule daily", false, t0};
  EXPECT_FALSE(r.failed_transiently(scheduled, t0, std::chrono::seconds(10)));
}

TEST(RefreshWanted, NewDataClearsOnlyIfOwed) {
  RefreshWanted w;
  w.skipped({RefreshTrigger::File, "segmentd after ingest", true, t0}, t0, 10s);
  w.after_data("segmentd after ingest", t0 + 2s, 5s);
  ASSERT_TRUE(w.waiting());
  EXPECT_FALSE(w.waiting()->only_if_owed);
}

}  // namespace
}  // namespace segmentd
