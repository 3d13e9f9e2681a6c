#pragma once
// Alerts to webhooks (doc/OPERATIONS.md "Alerts"). What to send is decided by
// AlertPolicy, a pure function of the targets, the alert and the time
// (unit-tested with a fake clock); Notifier formats and posts it on the
// daemon's loop without waiting (webhook_client.h).

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config.h"
#include "delivery_queue.h"

namespace segmentd {

struct Alert {
  std::string event;                          // one of kNotifyEvents
  std::string subject;                        // what it is about; with the event, the key repeat_interval counts by
  std::string summary;                        // one line for people
  std::map<std::string, std::string> labels;  // kind, trigger, run_id, file, dataset ...
  // database_unavailable: how long the outage has lasted (notify_after).
  std::chrono::seconds age{0};
  // segment_shift: the share of customers that changed segment.
  double share = 0;
};

class AlertPolicy {
 public:
  using Clock = std::chrono::steady_clock;
  explicit AlertPolicy(std::vector<NotifyTarget> targets) : targets_(std::move(targets)) {}

  // Indexes of the targets that get `alert` now, recording it as sent:
  // those that asked for its event, past their notify_after, and that did
  // not get the same event and subject within repeat_interval. `recovered`
  // goes only to the targets that were told database_unavailable for the
  // same subject (the outage), once.
  std::vector<std::size_t> decide(const Alert& alert, Clock::time_point now);
  const std::vector<NotifyTarget>& targets() const { return targets_; }

 private:
  std::vector<NotifyTarget> targets_;
  std::map<std::tuple<std::size_t, std::string, std::string>, Clock::time_point> last_sent_;
  std::set<std::pair<std::size_t, std::string>> open_outages_;
};

// The body posted for `alert`: "json" is shaped like Alertmanager's webhook
// (version 4: status, receiver, alerts[] with labels, annotations, startsAt);
// "slack" is {"text": ...}.
std::string alert_payload(const NotifyTarget& target, const Alert& alert, const std::string& host,
                          std::chrono::system_clock::time_point now);

// Each alert becomes one delivery per target it goes to, queued
// (delivery_queue.h: bounded, drops the oldest, backs off between
// attempts) and posted on the loop, never waiting.
class Notifier {
 public:
  // What happened to a delivery: queued, requeued after a failed post,
  // or its end: delivered, failed for good, or dropped from a full queue.
  enum class Outcome { queued, retrying, sent, failed, dropped };
  struct Progress {
    std::string target;
    std::string event;
    Outcome outcome;
    std::size_t waiting;  // deliveries queued after this one
  };
  using OnResult = std::function<void(const Progress&)>;
  // Resolves every target's URL (url_file read here); throws ConfigError.
  Notifier(boost::asio::io_context& loop, const std::vector<NotifyTarget>& targets, OnResult on_result = {},
           DeliveryLimits limits = {});
  void raise(const Alert& alert);
  // Whether any target asked for `event` (segment_shift costs a query).
  bool wants(const std::string& event) const;
  std::size_t waiting() const;

 private:
  AlertPolicy policy_;
  std::string host_;
  // The queue and what a post needs, shared with posts and the retry
  // timer: a reload may replace this Notifier while deliveries are still
  // pending, and they are still made.
  struct Delivering;
  std::shared_ptr<Delivering> delivering_;
};

}  // namespace segmentd
