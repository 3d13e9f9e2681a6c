#include "delivery_queue.h"

#include <algorithm>

namespace segmentd {

std::chrono::seconds backoff_after(unsigned attempts, const DeliveryLimits& limits) {
  std::chrono::seconds wait = limits.first_backoff;
  for (unsigned i = 1; i < attempts && wait < limits.max_backoff; ++i) wait *= 2;
  return std::min(wait, limits.max_backoff);
}

bool retryable_status(unsigned http_status) {
  if (http_status == 0) return true;  // no response: transport error or timeout
  if (http_status == 408 || http_status == 429) return true;
  return http_status >= 500;
}

std::optional<Delivery> DeliveryQueue::push(Delivery d) {
  d.seq = next_seq_++;
  return insert(std::move(d));
}

// Keeps waiting_ in order of first queueing, so a retry does not jump the
// line and a full queue always drops the oldest alert.
std::optional<Delivery> DeliveryQueue::insert(Delivery d) {
  std::optional<Delivery> dropped;
  if (waiting_.size() >= limits_.capacity) {
    if (waiting_.empty() || d.seq < waiting_.front().seq) return d;  // capacity 0, or d is the oldest itself
    dropped = std::move(waiting_.front());
    waiting_.pop_front();
  }
  const auto at = std::upper_bound(waiting_.begin(), waiting_.end(), d.seq,
                                   [](std::uint64_t seq, const Delivery& w) { return seq < w.seq; });
  waiting_.insert(at, std::move(d));
  return dropped;
}

std::optional<Delivery> DeliveryQueue::take_due(Clock::time_point now) {
  if (in_flight_ >= limits_.max_in_flight) return std::nullopt;
  const auto due =
      std::find_if(waiting_.begin(), waiting_.end(), [&](const Delivery& d) { return d.not_before <= now; });
  if (due == waiting_.end()) return std::nullopt;
  Delivery out = std::move(*due);
  waiting_.erase(due);
  ++in_flight_;
  ++out.attempts;
  return out;
}

DeliveryQueue::Retry DeliveryQueue::retry(Delivery d, Clock::time_point now) {
  --in_flight_;
  if (d.attempts >= d.max_attempts) return {};
  d.not_before = now + backoff_after(d.attempts, limits_);
  const std::uint64_t seq = d.seq;
  Retry out{true, insert(std::move(d))};
  if (out.dropped && out.dropped->seq == seq) out.requeued = false;  // it was the oldest of a full queue
  return out;
}

std::optional<DeliveryQueue::Clock::time_point> DeliveryQueue::next_due() const {
  std::optional<Clock::time_point> out;
  for (const auto& d : waiting_) {
    if (!out || d.not_before < *out) out = d.not_before;
  }
  return out;
}

}  // namespace segmentd
