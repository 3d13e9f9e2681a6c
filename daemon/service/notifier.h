#pragma once
// Alerts to webhooks (README "Alerts"). What to send is decided by
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

class Notifier {
 public:
  // Each post's outcome: target name, event, delivered or not.
  using OnResult = std::function<void(const std::string&, const std::string&, bool)>;
  // Resolves every target's URL (url_file read here); throws ConfigError.
  Notifier(boost::asio::io_context& loop, const std::vector<NotifyTarget>& targets, OnResult on_result = {});
  void raise(const Alert& alert);
  // Whether any target asked for `event` (segment_shift costs a query).
  bool wants(const std::string& event) const;

 private:
  boost::asio::io_context& loop_;
  AlertPolicy policy_;
  std::vector<std::string> urls_;
  std::string host_;
  // What a post's completion touches, shared with it: a reload may replace
  // this Notifier while a post is still in flight.
  struct Shared {
    unsigned in_flight = 0;
    OnResult on_result;
  };
  std::shared_ptr<Shared> shared_;
};

}  // namespace segmentd
