// The alert delivery queue's rules with a fake clock, and the Notifier
// retrying and giving up against real sockets, with backoff set to zero so
// nothing sleeps.
#include "delivery_queue.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <thread>

#include "notifier.h"

namespace segmentd {
namespace {

using Clock = DeliveryQueue::Clock;
using std::chrono::seconds;

Delivery delivery(const std::string& event, unsigned max_attempts = 3) {
  Delivery d;
  d.target_name = "t";
  d.event = event;
  d.max_attempts = max_attempts;
  return d;
}

TEST(DeliveryQueue, BackoffDoublesUpToItsCap) {
  DeliveryLimits l;
  l.first_backoff = seconds(2);
  l.max_backoff = seconds(20);
  EXPECT_EQ(backoff_after(1, l), seconds(2));
  EXPECT_EQ(backoff_after(2, l), seconds(4));
  EXPECT_EQ(backoff_after(4, l), seconds(16));
  EXPECT_EQ(backoff_after(5, l), seconds(20));
  EXPECT_EQ(backoff_after(60, l), seconds(20));  // no overflow however many
}

TEST(DeliveryQueue, WhatIsWorthRetrying) {
  EXPECT_TRUE(retryable_status(0));  // no answer at all
  EXPECT_TRUE(retryable_status(503));
  EXPECT_TRUE(retryable_status(429));
  EXPECT_TRUE(retryable_status(408));
  EXPECT_FALSE(retryable_status(404));
  EXPECT_FALSE(retryable_status(400));
}

TEST(DeliveryQueue, AFullQueueDropsTheOldest) {
  DeliveryLimits l;
  l.capacity = 2;
  DeliveryQueue q(l);
  EXPECT_FALSE(q.push(delivery("a")));
  EXPECT_FALSE(q.push(delivery("b")));
  const auto dropped = q.push(delivery("c"));
  ASSERT_TRUE(dropped);
  EXPECT_EQ(dropped->event, "a");
  EXPECT_EQ(q.waiting(), 2u);
  EXPECT_EQ(q.take_due(Clock::now())->event, "b");
}

TEST(DeliveryQueue, InFlightCapAndBackoffBeforeARetry) {
  DeliveryLimits l;
  l.max_in_flight = 1;
  l.first_backoff = seconds(10);
  DeliveryQueue q(l);
  const Clock::time_point t0{};
  q.push(delivery("a"));
  q.push(delivery("b"));
  auto a = q.take_due(t0);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->attempts, 1u);
  EXPECT_FALSE(q.take_due(t0)) << "a second post while the only slot is busy";
  const auto r = q.retry(std::move(*a), t0);
  EXPECT_TRUE(r.requeued);
  EXPECT_FALSE(r.dropped);
  // b is due now; a waits out its backoff although it is older.
  EXPECT_EQ(q.take_due(t0)->event, "b");
  q.finished();
  EXPECT_FALSE(q.take_due(t0 + seconds(9)));
  EXPECT_EQ(q.next_due(), t0 + seconds(10));
  auto again = q.take_due(t0 + seconds(10));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->event, "a");
  EXPECT_EQ(again->attempts, 2u);
}

TEST(DeliveryQueue, GivesUpAfterMaxAttempts) {
  DeliveryQueue q;
  q.push(delivery("a", 2));
  auto a = q.take_due(Clock::time_point{});
  EXPECT_TRUE(q.retry(std::move(*a), Clock::time_point{}).requeued);
  a = q.take_due(Clock::time_point{} + seconds(3600));
  ASSERT_TRUE(a);
  EXPECT_FALSE(q.retry(std::move(*a), Clock::time_point{}).requeued);
  EXPECT_EQ(q.waiting(), 0u);
  EXPECT_EQ(q.in_flight(), 0u);
}

TEST(DeliveryQueue, ARetryKeepsItsPlaceSoTheOldestIsStillDroppedFirst) {
  DeliveryLimits l;
  l.capacity = 2;
  l.first_backoff = seconds(0);
  DeliveryQueue q(l);
  q.push(delivery("old"));
  auto old = q.take_due(Clock::time_point{});
  q.push(delivery("b"));
  q.push(delivery("c"));
  // The queue is full and the retry is older than both: it is the one dropped.
  const auto r = q.retry(std::move(*old), Clock::time_point{});
  EXPECT_FALSE(r.requeued);
  ASSERT_TRUE(r.dropped);
  EXPECT_EQ(r.dropped->event, "old");
  EXPECT_EQ(q.waiting(), 2u);
}

NotifyTarget target_at(const std::string& url, unsigned retries) {
  NotifyTarget t;
  t.name = "hook";
  t.url = url;
  t.retries = retries;
  return t;
}

std::vector<Notifier::Progress> deliver(const NotifyTarget& t, DeliveryLimits limits, unsigned alerts = 1) {
  boost::asio::io_context loop;
  std::vector<Notifier::Progress> seen;
  Notifier n(
      loop, {t}, [&](const Notifier::Progress& p) { seen.push_back(p); }, limits);
  for (unsigned i = 0; i < alerts; ++i) {
    n.raise({"file_quarantined", "f" + std::to_string(i), "file refused", {}});
  }
  loop.run();  // returns once every delivery has ended
  return seen;
}

std::vector<Notifier::Outcome> outcomes(const std::vector<Notifier::Progress>& seen) {
  std::vector<Notifier::Outcome> out;
  for (const auto& p : seen) out.push_back(p.outcome);
  return out;
}

unsigned short closed_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();  // closed again when `a` goes
}

TEST(Notifier, RetriesAnUnreachableReceiverThenGivesUp) {
  DeliveryLimits l;
  l.first_backoff = seconds(0);
  const auto seen = deliver(target_at("http://127.0.0.1:" + std::to_string(closed_port()) + "/h", 2), l);
  using O = Notifier::Outcome;
  EXPECT_EQ(outcomes(seen), (std::vector<O>{O::queued, O::retrying, O::retrying, O::failed}));
}

// Answers each POST, read in full, with the next status in `statuses`.
class ScriptedReceiver {
 public:
  explicit ScriptedReceiver(std::vector<unsigned> statuses)
      : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}), statuses_(std::move(statuses)) {
    thread_ = std::thread([this] {
      for (const unsigned status : statuses_) {
        boost::asio::ip::tcp::socket s(io_);
        acceptor_.accept(s);
        boost::asio::streambuf buf;
        boost::asio::read_until(s, buf, "\r\n\r\n");
        std::string head(boost::asio::buffers_begin(buf.data()), boost::asio::buffers_end(buf.data()));
        const auto at = head.find("Content-Length: ");
        const std::size_t length = at == std::string::npos ? 0 : std::stoul(head.substr(at + 16));
        const std::size_t have = head.size() - head.find("\r\n\r\n") - 4;
        if (length > have) boost::asio::read(s, buf, boost::asio::transfer_exactly(length - have));
        const std::string answer =
            "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        boost::asio::write(s, boost::asio::buffer(answer));
        s.shutdown(boost::asio::ip::tcp::socket::shutdown_both);
      }
    });
  }
  ~ScriptedReceiver() { thread_.join(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/h"; }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<unsigned> statuses_;
  std::thread thread_;
};

TEST(Notifier, ARefusedRequestIsNotRetried) {
  ScriptedReceiver receiver({404});
  DeliveryLimits l;
  l.first_backoff = seconds(0);
  using O = Notifier::Outcome;
  EXPECT_EQ(outcomes(deliver(target_at(receiver.url(), 3), l)), (std::vector<O>{O::queued, O::failed}));
}

TEST(Notifier, AReceiverThatRecoversGetsTheAlert) {
  ScriptedReceiver receiver({503, 429, 200});
  DeliveryLimits l;
  l.first_backoff = seconds(0);
  using O = Notifier::Outcome;
  EXPECT_EQ(outcomes(deliver(target_at(receiver.url(), 3), l)),
            (std::vector<O>{O::queued, O::retrying, O::retrying, O::sent}));
}

TEST(Notifier, AFullQueueDropsTheOldestAndCountsIt) {
  DeliveryLimits l;
  l.capacity = 2;
  l.max_in_flight = 0;  // nothing leaves the queue
  boost::asio::io_context loop;
  std::vector<Notifier::Progress> seen;
  Notifier n(
      loop, {target_at("http://127.0.0.1:1/h", 0)}, [&](const Notifier::Progress& p) { seen.push_back(p); }, l);
  for (int i = 0; i < 3; ++i) n.raise({"file_quarantined", "f" + std::to_string(i), "refused", {}});
  using O = Notifier::Outcome;
  EXPECT_EQ(outcomes(seen), (std::vector<O>{O::queued, O::queued, O::dropped, O::queued}));
  EXPECT_EQ(seen.back().waiting, 2u);
  EXPECT_EQ(n.waiting(), 2u);
}

}  // namespace
}  // namespace segmentd
