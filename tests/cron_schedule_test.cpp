// Cron parsing and next-fire computation against a fixed clock. Every
// expected instant here was worked out by hand from a calendar and the
// zone's published DST transitions.
#include "cron_schedule.h"

#include <gtest/gtest.h>

#include <vector>

namespace segmentd {
namespace {

std::vector<std::string> fires(const std::string& cron, const std::string& zone, const std::string& from, int n) {
  CronSchedule s(cron, zone);
  std::vector<std::string> out;
  auto t = parse_iso_instant(from);
  for (int i = 0; i < n; ++i) {
    auto next = s.next_after(t);
    if (!next) break;
    out.push_back(format_local_iso(*next, s.offset_at(*next)));
    t = *next;
  }
  return out;
}

using V = std::vector<std::string>;

TEST(CronParse, FieldsListsRangesSteps) {
  const auto f = parse_cron("0,30 8-10 */10 1-12/6 mon-fri");
  EXPECT_TRUE(f.minutes[0] && f.minutes[30]);
  EXPECT_EQ(f.minutes.count(), 2u);
  EXPECT_EQ(f.hours.count(), 3u);
  EXPECT_TRUE(f.days_of_month[1] && f.days_of_month[11] && f.days_of_month[21] && f.days_of_month[31]);
  EXPECT_EQ(f.days_of_month.count(), 4u);
  EXPECT_TRUE(f.months[1] && f.months[7]);
  EXPECT_EQ(f.months.count(), 2u);
  EXPECT_EQ(f.days_of_week.count(), 5u);
  EXPECT_FALSE(f.days_of_week[0]);
  EXPECT_FALSE(f.day_of_month_restricted);  // starts with '*'
  EXPECT_TRUE(f.day_of_week_restricted);
}

TEST(CronParse, SundayIsZeroOrSevenAndNamesAnyCase) {
  EXPECT_TRUE(parse_cron("0 0 * * 7").days_of_week[0]);
  EXPECT_TRUE(parse_cron("0 0 * * SUN").days_of_week[0]);
  EXPECT_TRUE(parse_cron("0 0 * Dec *").months[12]);
  EXPECT_TRUE(parse_cron("5/20 * * * *").minutes[45]);
  EXPECT_FALSE(parse_cron("5/20 * * * *").minutes[0]);
}

TEST(CronParse, ErrorsNameTheFieldAndReason) {
  auto message = [](const std::string& expr) {
    try {
      parse_cron(expr);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("60 * * * *"), "minute field \"60\": 60 is outside 0-59");
  EXPECT_EQ(message("* 24 * * *"), "hour field \"24\": 24 is outside 0-23");
  EXPECT_EQ(message("* * 0 * *"), "day-of-month field \"0\": 0 is outside 1-31");
  EXPECT_EQ(message("* * * foo *"), "month field \"foo\": \"foo\" is not a number or name");
  EXPECT_EQ(message("* * * * 5-1"), "day-of-week field \"5-1\": range 5-1 runs backwards");
  EXPECT_EQ(message("*/0 * * * *"), "minute field \"*/0\": step \"0\" is not a positive number");
  EXPECT_EQ(message("5/2147483647 * * * *"), "minute field \"5/2147483647\": step 2147483647 is outside 1-60");
  EXPECT_EQ(message("* * */32 * *"), "day-of-month field \"*/32\": step 32 is outside 1-31");
  EXPECT_EQ(message("5/99999999999 * * * *"),
            "minute field \"5/99999999999\": step \"99999999999\" is not a positive number");
  EXPECT_EQ(message("* * * *"), "expected 5 fields (minute hour day-of-month month day-of-week), got 4");
  EXPECT_EQ(message("@reboot"), "unknown macro \"@reboot\" (use @hourly, @daily, @weekly, @monthly or @yearly)");
  EXPECT_THROW(CronSchedule("@daily", "Mars/Olympus"), std::invalid_argument);
}

// A step as long as the field fires once, at the start of its range.
TEST(CronNext, AStepAsLongAsTheFieldFiresOnlyAtItsStart) {
  EXPECT_EQ(fires("5/60 * * * *", "UTC", "2026-11-23T10:15:00Z", 2),
            (V{"2026-11-23T11:05:00+00:00", "2026-11-23T12:05:00+00:00"}));
}

TEST(CronNext, Macros) {
  EXPECT_EQ(fires("@hourly", "UTC", "2026-11-23T10:15:00Z", 2),
            (V{"2026-11-23T11:00:00+00:00", "2026-11-23T12:00:00+00:00"}));
  EXPECT_EQ(fires("@daily", "UTC", "2026-11-23T10:15:00Z", 1), (V{"2026-11-24T00:00:00+00:00"}));
  // 2026-11-23 is a Monday; the next Sunday is the 29th.
  EXPECT_EQ(fires("@weekly", "UTC", "2026-11-23T10:15:00Z", 1), (V{"2026-11-29T00:00:00+00:00"}));
  EXPECT_EQ(fires("@monthly", "UTC", "2026-11-23T10:15:00Z", 2),
            (V{"2026-12-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00"}));
  EXPECT_EQ(fires("@yearly", "UTC", "2026-11-23T10:15:00Z", 1), (V{"2027-01-01T00:00:00+00:00"}));
}

TEST(CronNext, StrictlyAfterTheStartInstant) {
  EXPECT_EQ(fires("0 3 * * *", "UTC", "2026-11-23T03:00:00Z", 1), (V{"2026-11-24T03:00:00+00:00"}));
  EXPECT_EQ(fires("0 3 * * *", "UTC", "2026-11-23T02:59:59Z", 1), (V{"2026-11-23T03:00:00+00:00"}));
}

TEST(CronNext, StepsAndLists) {
  EXPECT_EQ(fires("*/20 9-10 * * *", "UTC", "2026-11-23T08:00:00Z", 7),
            (V{"2026-11-23T09:00:00+00:00", "2026-11-23T09:20:00+00:00", "2026-11-23T09:40:00+00:00",
               "2026-11-23T10:00:00+00:00", "2026-11-23T10:20:00+00:00", "2026-11-23T10:40:00+00:00",
               "2026-11-24T09:00:00+00:00"}));
}

TEST(CronNext, MonthEndsSkipShortMonths) {
  EXPECT_EQ(fires("0 0 31 * *", "UTC", "2026-01-31T12:00:00Z", 3),
            (V{"2026-03-31T00:00:00+00:00", "2026-05-31T00:00:00+00:00", "2026-07-31T00:00:00+00:00"}));
}

TEST(CronNext, LeapDayOnlyInLeapYears) {
  EXPECT_EQ(fires("0 12 29 2 *", "UTC", "2026-11-23T00:00:00Z", 2),
            (V{"2028-02-29T12:00:00+00:00", "2032-02-29T12:00:00+00:00"}));
}

TEST(CronNext, NeverFiringExpressionIsNullopt) {
  CronSchedule s("0 0 30 2 *", "UTC");
  EXPECT_FALSE(s.next_after(parse_iso_instant("2026-01-01T00:00:00Z")).has_value());
}

TEST(CronNext, DayOfMonthAndDayOfWeekAreOredWhenBothRestricted) {
  // The 1st of the month OR any Friday: Nov 27 (Fri), Dec 1 (Tue), Dec 4 (Fri).
  EXPECT_EQ(fires("0 0 1 * fri", "UTC", "2026-11-23T00:00:00Z", 3),
            (V{"2026-11-27T00:00:00+00:00", "2026-12-01T00:00:00+00:00", "2026-12-04T00:00:00+00:00"}));
  // '*' in day-of-month: only weekday restricts (AND with "every day").
  EXPECT_EQ(fires("0 0 * * fri", "UTC", "2026-11-23T00:00:00Z", 2),
            (V{"2026-11-27T00:00:00+00:00", "2026-12-04T00:00:00+00:00"}));
  // Vixie: a field starting with '*' counts as unrestricted even with a
  // step, so "*/2" AND friday: odd days that are Fridays (Nov 27, Dec 11).
  EXPECT_EQ(fires("0 0 */2 * fri", "UTC", "2026-11-23T00:00:00Z", 2),
            (V{"2026-11-27T00:00:00+00:00", "2026-12-11T00:00:00+00:00"}));
}

TEST(CronNext, TimeZoneOffsetsAreApplied) {
  EXPECT_EQ(fires("0 3 * * *", "Europe/Berlin", "2026-11-23T00:00:00Z", 1), (V{"2026-11-23T03:00:00+01:00"}));
  EXPECT_EQ(fires("0 3 * * *", "Asia/Kolkata", "2026-11-23T00:00:00Z", 1), (V{"2026-11-24T03:00:00+05:30"}));
}

// Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET.
TEST(CronDst, BerlinSpringForwardSkippedTimeFiresOnceAtTheJump) {
  EXPECT_EQ(fires("30 2 * * *", "Europe/Berlin", "2026-03-28T00:00:00Z", 3),
            (V{"2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"}));
  // Several skipped minutes still give one fire at the jump, then normal ones.
  EXPECT_EQ(fires("*/20 2-3 29 3 *", "Europe/Berlin", "2026-03-29T00:00:00Z", 4),
            (V{"2026-03-29T03:00:00+02:00", "2026-03-29T03:20:00+02:00", "2026-03-29T03:40:00+02:00",
               "2027-03-29T02:00:00+02:00"}));
}

TEST(CronDst, BerlinFallBackRepeatedTimeFiresOnce) {
  EXPECT_EQ(fires("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", 3),
            (V{"2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00", "2026-10-27T02:30:00+01:00"}));
  // Started inside the second 02:xx hour: the 02:30 of that day is past.
  EXPECT_EQ(fires("45 2 * * *", "Europe/Berlin", "2026-10-25T01:10:00Z", 1), (V{"2026-10-26T02:45:00+01:00"}));
  // Hourly across the overlap: 02:00 once, then 03:00 one real hour after the second 02:00.
  EXPECT_EQ(fires("0 * * * *", "Europe/Berlin", "2026-10-24T23:30:00Z", 3),
            (V{"2026-10-25T02:00:00+02:00", "2026-10-25T03:00:00+01:00", "2026-10-25T04:00:00+01:00"}));
}

// America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.
TEST(CronDst, NewYorkSpringForward) {
  EXPECT_EQ(fires("15 2 * * *", "America/New_York", "2026-03-07T00:00:00Z", 3),
            (V{"2026-03-07T02:15:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-09T02:15:00-04:00"}));
}

TEST(CronDst, NewYorkFallBack) {
  EXPECT_EQ(fires("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", 3),
            (V{"2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00", "2026-11-03T01:30:00-05:00"}));
}

TEST(IsoInstant, ParsesZuluAndOffsetsAndRejectsMissingZone) {
  EXPECT_EQ(parse_iso_instant("2026-11-23T10:00:00+01:00"), parse_iso_instant("2026-11-23T09:00Z"));
  EXPECT_EQ(parse_iso_instant("2026-11-23T04:00:00-05:00"), parse_iso_instant("2026-11-23T09:00:00Z"));
  EXPECT_THROW(parse_iso_instant("2026-11-23T10:00:00"), std::invalid_argument);
  EXPECT_THROW(parse_iso_instant("yesterday"), std::invalid_argument);
}

}  // namespace
}  // namespace segmentd
