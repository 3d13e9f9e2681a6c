// Which webhook gets which alert when (a fake clock), and what is posted.
#include "notifier.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "config.h"
#include "errors.h"
#include "webhook_client.h"

namespace segmentd {
namespace {

using Clock = AlertPolicy::Clock;
using std::chrono::seconds;

NotifyTarget target(const std::string& name, std::vector<std::string> events = {}, unsigned repeat = 3600,
                    unsigned after = 300) {
  NotifyTarget t;
  t.name = name;
  t.url = "http://127.0.0.1:1/hook";
  t.events = std::move(events);
  t.repeat_interval_seconds = repeat;
  t.notify_after_seconds = after;
  return t;
}

TEST(AlertPolicy, EventsFilterAndRepeatInterval) {
  AlertPolicy p({target("all"), target("files", {"file_quarantined"})});
  const Clock::time_point t0{};
  const Alert failed{"run_failed", "refresh run 7", "failed", {}, {}};
  EXPECT_EQ(p.decide(failed, t0), (std::vector<std::size_t>{0}));
  const Alert bad{"file_quarantined", "orders.csv", "refused", {}, {}};
  EXPECT_EQ(p.decide(bad, t0), (std::vector<std::size_t>{0, 1}));
  // The same file again within the hour: nobody; another file: both.
  EXPECT_TRUE(p.decide(bad, t0 + seconds(10)).empty());
  EXPECT_EQ(p.decide({"file_quarantined", "items.csv", "refused", {}, {}}, t0 + seconds(10)).size(), 2u);
  // After repeat_interval the same alert goes out again.
  EXPECT_EQ(p.decide(bad, t0 + seconds(3600)).size(), 2u);
}

TEST(AlertPolicy, OutageAfterNotifyAfterAndRecoveredOnlyToThoseTold) {
  AlertPolicy p({target("fast", {}, 3600, 60), target("slow", {}, 3600, 600)});
  const Clock::time_point t0{};
  Alert down{"database_unavailable", "outage 1", "down", {}, seconds(30)};
  EXPECT_TRUE(p.decide(down, t0).empty());  // neither waited long enough
  down.age = seconds(61);
  EXPECT_EQ(p.decide(down, t0 + seconds(31)), (std::vector<std::size_t>{0}));
  down.age = seconds(90);
  EXPECT_TRUE(p.decide(down, t0 + seconds(60)).empty());  // once per outage and interval
  // Back before "slow" was told: only "fast" hears of the recovery, once.
  const Alert up{"recovered", "outage 1", "up", {}, {}};
  EXPECT_EQ(p.decide(up, t0 + seconds(100)), (std::vector<std::size_t>{0}));
  EXPECT_TRUE(p.decide(up, t0 + seconds(101)).empty());
}

TEST(AlertPolicy, SegmentShiftAboveEachTargetsShare) {
  auto strict = target("strict");
  strict.segment_shift_share = 0.05;
  AlertPolicy p({target("default"), strict});  // default share 0.2
  Alert shift{"segment_shift", "refresh run 9", "moved", {}, {}, 0.1};
  EXPECT_EQ(p.decide(shift, Clock::time_point{}), (std::vector<std::size_t>{1}));
  shift.subject = "refresh run 10";
  shift.share = 0.5;
  EXPECT_EQ(p.decide(shift, Clock::time_point{}), (std::vector<std::size_t>{0, 1}));
}

TEST(AlertPayload, AlertmanagerShapeAndSlackText) {
  const auto now = std::chrono::system_clock::from_time_t(1700000000);
  const Alert a{"file_quarantined", "orders.csv", "file orders.csv was refused", {{"dataset", "orders"}}, {}};
  const auto j = nlohmann::json::parse(alert_payload(target("ops"), a, "host1", now));
  EXPECT_EQ(j["version"], "4");
  EXPECT_EQ(j["status"], "firing");
  EXPECT_EQ(j["receiver"], "ops");
  ASSERT_EQ(j["alerts"].size(), 1u);
  EXPECT_EQ(j["alerts"][0]["labels"]["alertname"], "file_quarantined");
  EXPECT_EQ(j["alerts"][0]["labels"]["dataset"], "orders");
  EXPECT_EQ(j["alerts"][0]["labels"]["host"], "host1");
  EXPECT_EQ(j["alerts"][0]["annotations"]["summary"], "file orders.csv was refused");
  EXPECT_EQ(j["alerts"][0]["startsAt"], "2023-11-14T22:13:20Z");
  const auto r = nlohmann::json::parse(alert_payload(target("ops"), {"recovered", "o", "back", {}, {}}, "h", now));
  EXPECT_EQ(r["status"], "resolved");
  EXPECT_EQ(r["alerts"][0]["labels"]["alertname"], "database_unavailable");
  auto slack = target("chat");
  slack.format = "slack";
  EXPECT_EQ(nlohmann::json::parse(alert_payload(slack, a, "host1", now)),
            nlohmann::json({{"text", "[segmentd host1] file orders.csv was refused"}}));
}

TEST(WebhookUrl, Parts) {
  const auto u = parse_webhook_url("https://hooks.example.com/services/T0/B0?x=1");
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.host, "hooks.example.com");
  EXPECT_EQ(u.port, "443");
  EXPECT_EQ(u.target, "/services/T0/B0?x=1");
  const auto v = parse_webhook_url("http://[::1]:8080");
  EXPECT_EQ(v.host, "::1");
  EXPECT_EQ(v.port, "8080");
  EXPECT_EQ(v.target, "/");
  EXPECT_THROW(parse_webhook_url("ftp://x/"), UserError);
}

TEST(NotifyConfig, TargetsAndChecks) {
  const Config c = parse_config(
      "database: {}\nnotify:\n  - url: http://127.0.0.1:9/x\n    events: [run_failed]\n    repeat_interval: 30m\n"
      "  - name: chat\n    url_file: /etc/segmentd/slack-url\n    format: slack\n    notify_after: 45s\n",
      "t.yaml");
  ASSERT_EQ(c.notify.size(), 2u);
  EXPECT_EQ(c.notify[0].name, "notify[0]");
  EXPECT_EQ(c.notify[0].repeat_interval_seconds, 1800u);
  EXPECT_EQ(c.notify[1].notify_after_seconds, 45u);
  EXPECT_DOUBLE_EQ(c.notify[0].segment_shift_share, 0.2);
  EXPECT_DOUBLE_EQ(
      parse_config("database: {}\nnotify:\n  - {url: \"http://x/\", segment_shift_share: 0.35}\n", "t.yaml")
          .notify[0]
          .segment_shift_share,
      0.35);
  const Config d = parse_config("database: {}\nschedules:\n  - {name: n, cron: \"@daily\", deadline: 26h}\n", "t.yaml");
  EXPECT_EQ(d.schedules.at(0).deadline_seconds, 26u * 3600);
  EXPECT_EQ(parse_config("database: {}\n", "t.yaml").schedules.at(0).deadline_seconds, 0u);
  const auto error_of = [](const std::string& item) {
    try {
      parse_config("database: {}\nnotify:\n  - " + item + "\n", "t.yaml");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error_of("{format: json}").find("set url or url_file"), std::string::npos);
  EXPECT_NE(error_of("{url: \"gopher://secret-token\"}").find("http:// or https://"), std::string::npos);
  EXPECT_EQ(error_of("{url: \"gopher://secret-token\"}").find("secret-token"), std::string::npos);
  EXPECT_NE(error_of("{url: \"http://x/\", events: [disk_full]}").find("unknown event"), std::string::npos);
  EXPECT_NE(error_of("{url: \"http://x/\", format: xml}").find("json or slack"), std::string::npos);
  EXPECT_NE(error_of("{url: \"http://x/\", repeat_interval: soon}").find("30s, 5m"), std::string::npos);
  EXPECT_NE(error_of("{url: \"http://x/\", segment_shift_share: 1.5}").find("between 0 and 1"), std::string::npos);
}

}  // namespace
}  // namespace segmentd
