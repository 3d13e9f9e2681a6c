#pragma once
// The database worker: one thread that owns the session (and the daemon's
// lock on it) and runs one job at a time, so the event loop never blocks on
// the database. Every job's failure is caught on the worker and classified
// (transient, permanent, connection lost) from its type, never from its
// text; a lost connection drops the session, and the controller reconnects.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "db_session.h"
#include "errors.h"
#include "named_lock.h"

namespace segmentd {

struct JobError {
  ErrorCategory category = ErrorCategory::Permanent;
  std::string message;
  bool fatal = false;  // a FatalError: the daemon stops
};

template <typename R>
struct JobResult {
  std::optional<R> value;  // set when the job returned
  std::optional<JobError> error;
};

// How an exception from a job is to be treated. `session_usable` is false
// when the session no longer answers: then it is a lost connection, whatever
// the error said.
JobError classify_failure(const std::exception_ptr& failure, bool session_usable);

class DbWorker {
 public:
  explicit DbWorker(boost::asio::io_context& loop) : loop_(loop) {}
  // Waits for the running job, then closes the lock and the session: a job
  // never outlives the session it uses, even when the loop ended by an
  // exception.
  ~DbWorker() {
    pool_.join();
    held_lock_.reset();
    session_.reset();
  }
  DbWorker(const DbWorker&) = delete;
  DbWorker& operator=(const DbWorker&) = delete;

  // Runs `work(session)` on the worker, then `done(result)` on the loop.
  // Without a session the result is a lost connection.
  template <typename R>
  void run(std::function<R(DbSession&)> work, std::function<void(JobResult<R>)> done) {
    boost::asio::post(pool_, [this, work = std::move(work), done = std::move(done)]() mutable {
      const Running running(running_since_);
      JobResult<R> result;
      if (!session_) {
        result.error = JobError{ErrorCategory::ConnectionLost, "not connected"};
      } else {
        try {
          result.value = work(*session_);
        } catch (...) {
          result.error = classify_failure(std::current_exception(), session_ && session_->usable());
        }
        if (result.error && result.error->category == ErrorCategory::ConnectionLost) drop_session();
      }
      boost::asio::post(loop_, [result = std::move(result), done = std::move(done)]() mutable { done(result); });
    });
  }

  // Work that needs no session (moving files), on the same worker so it
  // never runs beside a load of the same file.
  template <typename R>
  void run_local(std::function<R()> work, std::function<void(JobResult<R>)> done) {
    boost::asio::post(pool_, [this, work = std::move(work), done = std::move(done)]() mutable {
      const Running running(running_since_);
      JobResult<R> result;
      try {
        result.value = work();
      } catch (...) {
        result.error = classify_failure(std::current_exception(), true);
      }
      boost::asio::post(loop_, [result = std::move(result), done = std::move(done)]() mutable { done(result); });
    });
  }

  // Replaces the session with a new one from `open`, then runs
  // `setup(session, held_lock)` on it; `setup` may place a lock in
  // `held_lock` to be held for the session's life. On failure the session
  // is dropped.
  template <typename R>
  void connect(std::function<std::unique_ptr<DbSession>()> open,
               std::function<R(DbSession&, std::unique_ptr<NamedLock>&)> setup,
               std::function<void(JobResult<R>)> done) {
    boost::asio::post(
        pool_, [this, open = std::move(open), setup = std::move(setup), done = std::move(done)]() mutable {
          const Running running(running_since_);
          JobResult<R> result;
          try {
            drop_session();
            session_ = open();
            result.value = setup(*session_, held_lock_);
          } catch (...) {
            JobError e = classify_failure(std::current_exception(), session_ && session_->usable());
            // Refused, unreachable or lost while setting up: retried with
            // backoff. What is permanent (a schema to migrate) stays permanent.
            result.error = e;
            drop_session();
          }
          boost::asio::post(loop_, [result = std::move(result), done = std::move(done)]() mutable { done(result); });
        });
  }

  // Runs `last_words` on the session if there is one (errors ignored), then
  // closes it; `done` on the loop.
  void disconnect(std::function<void(DbSession&)> last_words, std::function<void()> done) {
    boost::asio::post(pool_, [this, last_words = std::move(last_words), done = std::move(done)]() mutable {
      if (session_) {
        try {
          last_words(*session_);
        } catch (const std::exception&) {
          // The server is gone; what the last words said goes stale on its own.
        }
      }
      drop_session();
      boost::asio::post(loop_, std::move(done));
    });
  }

  // How long the job on the worker has been running; nullopt when idle.
  // Read from the loop for /livez and the watchdog.
  std::optional<std::chrono::steady_clock::duration> running_for() const {
    const auto since = running_since_.load();
    if (since == 0) return std::nullopt;
    return std::chrono::steady_clock::now().time_since_epoch() - std::chrono::steady_clock::duration(since);
  }

 private:
  // Marks the worker busy for one job's life.
  struct Running {
    explicit Running(std::atomic<std::int64_t>& since) : since_(since) {
      since_ = std::chrono::steady_clock::now().time_since_epoch().count();
    }
    ~Running() { since_ = 0; }
    std::atomic<std::int64_t>& since_;
  };

  void drop_session() {
    held_lock_.reset();
    session_.reset();
  }

  boost::asio::io_context& loop_;
  std::atomic<std::int64_t> running_since_{0};  // steady-clock ticks; 0 = idle
  // Touched only on the worker thread.
  std::unique_ptr<DbSession> session_;
  std::unique_ptr<NamedLock> held_lock_;
  boost::asio::thread_pool pool_{1};
};

}  // namespace segmentd
