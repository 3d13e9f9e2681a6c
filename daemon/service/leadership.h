#pragma once
// Whether this daemon leads, as a state machine fed by the lease's renewals
// (lease.h) and the worker's office (take_office, jobs.h). Pure: every
// decision takes the time it is made at, so it is unit-tested with made-up
// times (tests/leadership_test.cpp); the controller does the I/O, the logs
// and the timers from what it returns.
//
//   Standby --renewed, leading--> Elected --office taken--> InOffice
//      ^                            |   ^                      |
//      +--- deposed, or the lease --+   +-- new session -------+
//           not renewed for its length      (office again)

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "lease.h"

namespace segmentd {

class Leadership {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;
  using Millis = std::chrono::milliseconds;

  enum class State {
    Standby,   // another daemon leads, or the lease is not held
    Elected,   // this daemon holds the lease; its office is not taken yet
    InOffice,  // and the worker's session has taken office: loads and refreshes
  };

  // What a renewal's outcome means; the controller logs and acts on it.
  struct Verdict {
    bool acquired = false;                    // a new epoch is this daemon's
    std::optional<std::string> stepped_down;  // why it no longer leads
    bool holder_changed = false;              // standing by for a new holder (log it once)
    bool first_failure = false;               // renewals started failing (log it once)
    bool renewed_again = false;               // renewals work again after failing
    Millis next{};                            // when to renew (or try to take) next
  };

  Leadership(LeaseClaimant me, std::chrono::seconds lease_length);

  // A renewal or take returned; `state` as lease.h read it.
  Verdict renewed(const LeaseState& state, SteadyTime now);
  // A renewal failed. Past the lease's length since the last renewal the
  // lease may be someone else's: step down (work in flight is fenced by the
  // database anyway). A fatal error waits a whole length before the next try.
  Verdict renewal_failed(const std::string& error, bool fatal, SteadyTime now);

  // The worker took office on its session (Elected -> InOffice; ignored when
  // deposed meanwhile), or failed to (tried again after the next renewal).
  void office_taken();
  void office_failed() { office_retry_wait_ = true; }
  // The worker's session is gone: office is taken again on the next one.
  void session_lost();
  // Stop leading now (the lease could not be kept, or another holds it).
  void step_down();

  // A reload's new ha.lease_seconds, from the next renewal on.
  void set_lease_length(std::chrono::seconds length) { length_ = length; }

  State state() const { return state_; }
  bool leading() const { return state_ == State::InOffice; }
  // Office is to be taken now (planner: TakeOffice).
  bool office_due() const { return state_ == State::Elected && !office_retry_wait_; }
  // The fence of this daemon's writes; nullopt unless elected or in office.
  std::optional<LeaseFence> fence() const;
  std::uint64_t epoch() const { return epoch_; }
  // The first office of this process (it closes runs of earlier leaders).
  bool first_office() const { return first_office_; }
  const LeaseClaimant& claimant() const { return me_; }
  std::chrono::seconds lease_length() const { return length_; }

 private:
  LeaseClaimant me_;
  std::chrono::seconds length_;
  State state_ = State::Standby;
  std::uint64_t epoch_ = 0;
  std::optional<SteadyTime> last_renewed_;
  bool failing_ = false;
  bool office_retry_wait_ = false;
  bool first_office_ = true;
  std::string standing_for_;  // the holder last reported while standing by
};

const char* to_string(Leadership::State s);

}  // namespace segmentd
