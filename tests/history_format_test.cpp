#include <gtest/gtest.h>

#include "history.h"

namespace segmentd {
namespace {

TEST(HistoryFormat, DurationIsReadable) {
  EXPECT_EQ(format_duration(std::nullopt), "-");
  EXPECT_EQ(format_duration(0), "0.000s");
  EXPECT_EQ(format_duration(1234), "1.234s");
  EXPECT_EQ(format_duration(123000), "2m03s");
}

TEST(HistoryFormat, TableAlignsColumnsAndKeepsMessagesOnOneLine) {
  RunRecord a;
  a.run_id = 12;
  a.kind = "refresh";
  a.trigger = "schedule";
  a.status = "succeeded";
  a.started_at = "2026-01-02 03:04:05.678";
  a.duration_ms = 2500;
  a.customers = 96096;
  a.message = "segmented\n96096";
  RunRecord b = a;
  b.run_id = 3;
  b.trigger = "cli";
  b.status = "failed";
  b.customers.reset();
  b.duration_ms.reset();
  b.message = "boom";
  EXPECT_EQ(format_runs_table({a, b}),
            "RUN  KIND     TRIGGER   STATUS     STARTED (UTC)        DURATION  CUSTOMERS  MESSAGE\n"
            "12   refresh  schedule  succeeded  2026-01-02 03:04:05  2.500s    96096      segmented 96096\n"
            "3    refresh  cli       failed     2026-01-02 03:04:05  -         -          boom\n");
  EXPECT_EQ(format_runs_table({}),
            "RUN  KIND  TRIGGER  STATUS  STARTED (UTC)  DURATION  CUSTOMERS  MESSAGE\n(no runs recorded)\n");
}

TEST(HistoryFormat, JsonEmbedsJsonColumnsAsObjects) {
  RunRecord a;
  a.run_id = 1;
  a.segment_counts = "{\"Champions\": 3}";
  const std::string json = format_runs_json({a});
  EXPECT_NE(json.find("\"Champions\": 3"), std::string::npos) << json;
  EXPECT_NE(json.find("\"duration_ms\": null"), std::string::npos) << json;
}

TEST(HistoryFormat, RunDetailSaysWhatHappenedToTheExport) {
  RunRecord a;
  a.run_id = 7;
  a.details = R"({"export": {"status": "written", "dir": "/x", "set": "run-7", "files": 5, "rows": 120}})";
  EXPECT_NE(format_run_detail(a).find("export:          set run-7 in /x, 5 files, 120 rows"), std::string::npos)
      << format_run_detail(a);
  a.details = R"({"export": {"status": "failed", "dir": "/x", "error": "No space left on device"}})";
  EXPECT_NE(format_run_detail(a).find("export:          FAILED in /x: No space left on device"), std::string::npos)
      << format_run_detail(a);
}

TEST(HistoryFormat, RunDetailShowsThePredictionFitOrWhyThereIsNone) {
  RunRecord a;
  a.run_id = 8;
  a.details = R"({"predictions": {"status": "available", "reason": "", "bgnbd": {"r": 0.25, "alpha": 30.9, "a": 0.79,
    "b": 2.4, "log_likelihood": -14363.5}, "gammagamma": {"p": 6.25, "q": 3.74, "gamma": 15.44, "customers": 946}}})";
  const std::string text = format_run_detail(a);
  EXPECT_NE(text.find("predictions:     available\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  BG/NBD (days): r=0.25 alpha=30.9 a=0.79 b=2.4 log_likelihood=-14363.5"), std::string::npos)
      << text;
  EXPECT_NE(text.find("  Gamma-Gamma:   p=6.25 q=3.74 gamma=15.44 customers=946"), std::string::npos) << text;
  a.details = R"({"predictions": {"status": "unavailable", "reason": "12 repeat customers, fewer than 30"}})";
  EXPECT_NE(format_run_detail(a).find("predictions:     unavailable: 12 repeat customers, fewer than 30"),
            std::string::npos)
      << format_run_detail(a);
  EXPECT_EQ(format_run_detail(a).find("BG/NBD"), std::string::npos);
}

}  // namespace
}  // namespace segmentd
