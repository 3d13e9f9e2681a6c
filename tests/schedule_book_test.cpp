// When schedules fire and when a refresh is overdue (schedule_book.h), at
// made-up times.

#include "schedule_book.h"

#include <gtest/gtest.h>

namespace segmentd {
namespace {

using namespace std::chrono_literals;
using std::chrono::sys_days;
using namespace std::chrono;

SysSeconds at(int h, int m, int s = 0) {
  return floor<seconds>(sys_days{2026y / December / 7} + hours(h) + minutes(m) + seconds(s));
}

NamedSchedule schedule(const std::string& name, const std::string& cron) {
  return {name, CronSchedule(cron, "UTC"), std::nullopt, false};
}

TEST(ScheduleBook, WaitsForTheEarliestButAtMostAMinute) {
  ScheduleBook book({schedule("hourly", "0 * * * *"), schedule("five", "*/5 * * * *")});
  EXPECT_EQ(book.wait(at(10, 3, 30)), 60s) << "the five-minute one is 90 s away: capped";
  EXPECT_EQ(book.wait(at(10, 4, 30)), 30s);
  EXPECT_TRUE(book.fire(at(10, 4, 59)).empty());
}

TEST(ScheduleBook, NoScheduleNeverWakes) {
  ScheduleBook none({});
  EXPECT_FALSE(none.wait(at(10, 0)));
  ScheduleBook never({schedule("feb30", "0 0 30 2 *")});
  EXPECT_FALSE(never.wait(at(10, 0)));
}

TEST(ScheduleBook, EachDueScheduleFiresOnceAndMovesOn) {
  ScheduleBook book({schedule("hourly", "0 * * * *"), schedule("five", "*/5 * * * *")});
  book.wait(at(10, 58));
  const auto fired = book.fire(at(11, 0, 1));
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0].schedule->name, "hourly");
  EXPECT_EQ(fired[0].due, at(11, 0));
  EXPECT_EQ(fired[1].due, at(11, 0));
  EXPECT_TRUE(book.fire(at(11, 0, 2)).empty()) << "not twice";
  EXPECT_EQ(*book.schedules()[0].next, at(12, 0));
  EXPECT_EQ(*book.schedules()[1].next, at(11, 5));
}

TEST(ScheduleBook, AClockJumpFiresOnceNotOncePerMissedTime) {
  ScheduleBook book({schedule("five", "*/5 * * * *")});
  book.wait(at(10, 0, 30));
  const auto fired = book.fire(at(11, 2));  // the clock jumped an hour
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].due, at(10, 5));
  EXPECT_EQ(*book.schedules()[0].next, at(11, 5));
}

ScheduleConfig with_deadline(const std::string& name, unsigned seconds) {
  ScheduleConfig s;
  s.name = name;
  s.deadline_seconds = seconds;
  return s;
}

TEST(DeadlineWatch, LooksAQuarterOfTheShortestDeadlineWithinOneToSixtySeconds) {
  EXPECT_FALSE(DeadlineWatch::period({with_deadline("a", 0)}));
  EXPECT_EQ(DeadlineWatch::period({with_deadline("a", 3600), with_deadline("b", 120)}), 30s);
  EXPECT_EQ(DeadlineWatch::period({with_deadline("a", 2)}), 1s);
  EXPECT_EQ(DeadlineWatch::period({with_deadline("a", 93600)}), 60s);
}

TEST(DeadlineWatch, OverdueIsNewOnceAndEndsWithASuccess) {
  DeadlineWatch watch;
  const std::vector<ScheduleConfig> schedules = {with_deadline("daily", 100), with_deadline("none", 0)};
  const system_clock::time_point ok{seconds(1000)};
  EXPECT_TRUE(watch.overdue(schedules, ok + 99s, ok).empty());
  auto o = watch.overdue(schedules, ok + 100s, ok);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].schedule, "daily");
  EXPECT_EQ(o[0].since_success, 100s);
  EXPECT_TRUE(o[0].newly);
  o = watch.overdue(schedules, ok + 130s, ok);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_FALSE(o[0].newly) << "logged once; the alert repeats";
  EXPECT_TRUE(watch.overdue(schedules, ok + 140s, ok + 135s).empty()) << "a refresh succeeded";
  o = watch.overdue(schedules, ok + 240s, ok + 135s);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_TRUE(o[0].newly) << "overdue again is news again";
}

}  // namespace
}  // namespace segmentd
