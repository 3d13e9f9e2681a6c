#pragma once
// The alerts waiting to be posted, and when each may be tried (again).
// Pure: the caller owns the clock and the posting, so the queue's rules
// (a bound that drops the oldest, a cap on posts in flight, backoff between
// attempts) are unit-tested without sleeping.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

namespace segmentd {

struct Delivery {
  std::size_t target = 0;  // index into the notifier's targets
  std::string target_name;
  std::string event;
  std::string body;
  unsigned attempts = 0;      // posts made so far
  unsigned max_attempts = 1;  // the first post and its retries
  std::uint64_t seq = 0;      // order of first queueing, set by push()
  std::chrono::steady_clock::time_point not_before{};
};

struct DeliveryLimits {
  std::size_t capacity = 256;  // waiting deliveries, retries included
  unsigned max_in_flight = 8;
  std::chrono::seconds first_backoff{2};
  std::chrono::seconds max_backoff{300};
};

// The wait before attempt `attempts + 1` after `attempts` failed posts:
// first_backoff doubled per failure, capped at max_backoff.
std::chrono::seconds backoff_after(unsigned attempts, const DeliveryLimits& limits);

// Whether a failed post is worth repeating: transport errors, timeouts,
// 408, 429 and 5xx are; any other 4xx means the request itself is wrong.
bool retryable_status(unsigned http_status);

class DeliveryQueue {
 public:
  using Clock = std::chrono::steady_clock;
  explicit DeliveryQueue(DeliveryLimits limits = {}) : limits_(limits) {}

  // Queues `d`; when the queue is full the oldest waiting delivery is
  // dropped and returned so the caller can count and log it.
  std::optional<Delivery> push(Delivery d);
  // The next delivery due at `now`, in queue order, counted as in flight;
  // none when every slot is busy or nothing is due.
  std::optional<Delivery> take_due(Clock::time_point now);
  // A taken delivery finished: delivered, or failed for good.
  void finished() { --in_flight_; }
  // A taken delivery failed and may be tried again: requeued after its
  // backoff, in its original place, unless it has had max_attempts.
  struct Retry {
    bool requeued = false;
    std::optional<Delivery> dropped;  // what made room for it
  };
  Retry retry(Delivery d, Clock::time_point now);
  // When the earliest waiting delivery becomes due (to set a timer).
  std::optional<Clock::time_point> next_due() const;

  std::size_t waiting() const { return waiting_.size(); }
  unsigned in_flight() const { return in_flight_; }
  const DeliveryLimits& limits() const { return limits_; }

 private:
  DeliveryLimits limits_;
  std::deque<Delivery> waiting_;
  unsigned in_flight_ = 0;
  std::uint64_t next_seq_ = 1;

  std::optional<Delivery> insert(Delivery d);
};

}  // namespace segmentd
