#include "notifier.h"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "errors.h"
#include "log_event.h"
#include "webhook_client.h"

namespace segmentd {

namespace {
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

struct Notifier::Delivering : std::enable_shared_from_this<Delivering> {
  Delivering(boost::asio::io_context& io, DeliveryLimits limits) : loop(io), queue(limits), timer(io) {}

  boost::asio::io_context& loop;
  DeliveryQueue queue;
  boost::asio::steady_timer timer;
  std::optional<std::chrono::steady_clock::time_point> timer_at;
  std::vector<WebhookUrl> urls;
  std::vector<std::string> cas;
  OnResult on_result;

  void report(const std::string& target, const std::string& event, Outcome outcome) {
    if (on_result) on_result({target, event, outcome, queue.waiting()});
  }

  void dropped(const Delivery& d) {
    log_event(spdlog::level::warn, "notify.dropped",
              {{"target", d.target_name},
               {"event", d.event},
               {"attempts", std::to_string(d.attempts)},
               {"why", "queue full (" + std::to_string(queue.limits().capacity) + " waiting)"}});
    report(d.target_name, d.event, Outcome::dropped);
  }

  // Starts every delivery that is due and has a slot, then sets the timer
  // for the next one that is waiting out a backoff.
  void pump() {
    const auto now = std::chrono::steady_clock::now();
    while (auto d = queue.take_due(now)) post(std::move(*d));
    const auto due = queue.next_due();
    // Due already: it waits for a slot, and the post that frees one pumps.
    if (!due || *due <= now || (timer_at && *timer_at <= *due)) return;
    timer_at = *due;
    timer.expires_at(*due);
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      self->timer_at.reset();
      self->pump();
    });
  }

  void post(Delivery d) {
    const std::size_t i = d.target;
    std::string body = d.body;
    post_webhook(loop, urls[i], std::move(body), cas[i], kPostTimeout,
                 [self = shared_from_this(), d = std::move(d)](const WebhookResult& r) mutable {
                   self->posted(std::move(d), r);
                 });
  }

  void posted(Delivery d, const WebhookResult& r) {
    const std::string target = d.target_name, event = d.event, attempts = std::to_string(d.attempts);
    if (r.ok) {
      queue.finished();
      log_event(spdlog::level::info, "notify.sent",
                {{"target", target}, {"event", event}, {"status", std::to_string(r.status)}, {"attempts", attempts}});
      report(target, event, Outcome::sent);
    } else {
      // The URL is never logged: it may hold a token.
      const std::string error = r.status != 0 ? "HTTP " + std::to_string(r.status) : r.error;
      DeliveryQueue::Retry retry;
      if (retryable_status(r.status)) {
        const auto wait = backoff_after(d.attempts, queue.limits());
        retry = queue.retry(std::move(d), std::chrono::steady_clock::now());
        if (retry.requeued) {
          report(target, event, Outcome::retrying);
          log_event(spdlog::level::warn, "notify.retry",
                    {{"target", target},
                     {"event", event},
                     {"error", error},
                     {"attempts", attempts},
                     {"retry_in", std::to_string(wait.count()) + "s"}});
        }
        if (retry.dropped) dropped(*retry.dropped);
      } else {
        queue.finished();
      }
      if (!retry.requeued) {
        log_event(spdlog::level::warn, "notify.failed",
                  {{"target", target}, {"event", event}, {"error", error}, {"attempts", attempts}});
        report(target, event, Outcome::failed);
      }
    }
    pump();
  }
};

Notifier::Notifier(boost::asio::io_context& loop, const std::vector<NotifyTarget>& targets, OnResult on_result,
                   DeliveryLimits limits)
    : policy_(targets), delivering_(std::make_shared<Delivering>(loop, limits)) {
  delivering_->on_result = std::move(on_result);
  for (const auto& t : targets) {
    try {
      delivering_->urls.push_back(parse_webhook_url(resolve_notify_url(t)));
    } catch (const UserError& e) {
      throw ConfigError(t.name + ": " + e.what());
    }
    delivering_->cas.push_back(t.ca);
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

std::size_t Notifier::waiting() const {
  return delivering_->queue.waiting();
}

void Notifier::raise(const Alert& alert) {
  for (const std::size_t i : policy_.decide(alert, std::chrono::steady_clock::now())) {
    const NotifyTarget& t = policy_.targets()[i];
    Delivery d{i, t.name, alert.event, alert_payload(t, alert, host_, std::chrono::system_clock::now())};
    d.max_attempts = t.retries + 1;
    if (auto dropped = delivering_->queue.push(std::move(d))) delivering_->dropped(*dropped);
    delivering_->report(t.name, alert.event, Outcome::queued);
  }
  delivering_->pump();
}

}  // namespace segmentd
