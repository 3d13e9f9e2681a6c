#include "notifier.h"

#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "errors.h"
#include "log_event.h"
#include "webhook_client.h"

namespace segmentd {

namespace {
constexpr unsigned kMaxInFlight = 16;
constexpr auto kPostTimeout = std::chrono::seconds(10);

std::string iso_utc(std::chrono::system_clock::time_point t) {
  const std::time_t s = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}
}  // namespace

std::vector<std::size_t> AlertPolicy::decide(const Alert& alert, Clock::time_point now) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    const NotifyTarget& t = targets_[i];
    if (!t.events.empty() && std::find(t.events.begin(), t.events.end(), alert.event) == t.events.end()) continue;
    if (alert.event == "recovered") {
      if (open_outages_.erase({i, alert.subject}) == 1) out.push_back(i);
      continue;
    }
    if (alert.event == "database_unavailable" && alert.age < std::chrono::seconds(t.notify_after_seconds)) continue;
    if (alert.event == "segment_shift" && alert.share <= t.segment_shift_share) continue;
    const auto key = std::make_tuple(i, alert.event, alert.subject);
    const auto last = last_sent_.find(key);
    if (last != last_sent_.end() && now - last->second < std::chrono::seconds(t.repeat_interval_seconds)) continue;
    last_sent_[key] = now;
    if (alert.event == "database_unavailable") open_outages_.insert({i, alert.subject});
    out.push_back(i);
  }
  return out;
}

std::string alert_payload(const NotifyTarget& target, const Alert& alert, const std::string& host,
                          std::chrono::system_clock::time_point now) {
  if (target.format == "slack") {
    return nlohmann::json{{"text", "[segmentd " + host + "] " + alert.summary}}.dump();
  }
  const bool resolved = alert.event == "recovered";
  nlohmann::json labels = {
      {"alertname", resolved ? "database_unavailable" : alert.event}, {"service", "segmentd"}, {"host", host}};
  for (const auto& [k, v] : alert.labels) labels[k] = v;
  const nlohmann::json one = {{"status", resolved ? "resolved" : "firing"},
                              {"labels", labels},
                              {"annotations", {{"summary", alert.summary}, {"subject", alert.subject}}},
                              {"startsAt", iso_utc(now)},
                              {"endsAt", resolved ? iso_utc(now) : "0001-01-01T00:00:00Z"}};
  return nlohmann::json{{"version", "4"},
                        {"status", resolved ? "resolved" : "firing"},
                        {"receiver", target.name},
                        {"groupKey", "segmentd/" + labels["alertname"].get<std::string>()},
                        {"alerts", nlohmann::json::array({one})},
                        {"commonLabels", labels},
                        {"externalURL", ""}}
      .dump();
}

Notifier::Notifier(boost::asio::io_context& loop, const std::vector<NotifyTarget>& targets, OnResult on_result)
    : loop_(loop), policy_(targets), shared_(std::make_shared<Shared>()) {
  shared_->on_result = std::move(on_result);
  for (const auto& t : targets) {
    urls_.push_back(resolve_notify_url(t));
    try {
      parse_webhook_url(urls_.back());
    } catch (const UserError& e) {
      throw ConfigError(t.name + ": " + e.what());
    }
  }
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  host_ = name;
}

bool Notifier::wants(const std::string& event) const {
  for (const auto& t : policy_.targets()) {
    if (t.events.empty() || std::find(t.events.begin(), t.events.end(), event) != t.events.end()) return true;
  }
  return false;
}

void Notifier::raise(const Alert& alert) {
  for (const std::size_t i : policy_.decide(alert, std::chrono::steady_clock::now())) {
    const NotifyTarget& t = policy_.targets()[i];
    if (shared_->in_flight >= kMaxInFlight) {
      log_event(spdlog::level::warn, "notify.dropped",
                {{"target", t.name}, {"event", alert.event}, {"why", "too many posts in flight"}});
      continue;
    }
    ++shared_->in_flight;
    const std::string body = alert_payload(t, alert, host_, std::chrono::system_clock::now());
    post_webhook(
        loop_, parse_webhook_url(urls_[i]), body, t.ca, kPostTimeout,
        [shared = shared_, name = t.name, event = alert.event](const WebhookResult& r) {
          --shared->in_flight;
          if (shared->on_result) shared->on_result(name, event, r.ok);
          if (r.ok) {
            log_event(spdlog::level::info, "notify.sent",
                      {{"target", name}, {"event", event}, {"status", std::to_string(r.status)}});
          } else {
            // The URL is never logged: it may hold a token.
            log_event(spdlog::level::warn, "notify.failed", {{"target", name}, {"event", event}, {"error", r.error}});
          }
        });
  }
}

}  // namespace segmentd
