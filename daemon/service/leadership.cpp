#include "leadership.h"

#include <algorithm>

namespace segmentd {

const char* to_string(Leadership::State s) {
  switch (s) {
    case Leadership::State::Standby:
      return "standby";
    case Leadership::State::Elected:
      return "elected";
    case Leadership::State::InOffice:
      return "in_office";
  }
  return "standby";
}

Leadership::Leadership(LeaseClaimant me, std::chrono::seconds lease_length)
    : me_(std::move(me)), length_(lease_length) {}

std::optional<LeaseFence> Leadership::fence() const {
  if (state_ == State::Standby) return std::nullopt;
  return LeaseFence{me_.holder, epoch_};
}

Leadership::Verdict Leadership::renewed(const LeaseState& state, SteadyTime now) {
  Verdict v;
  // Renewed every third of the length whatever the worker does.
  v.next = std::chrono::duration_cast<Millis>(length_) / 3;
  office_retry_wait_ = false;  // an office that failed is tried again now
  v.renewed_again = failing_;
  failing_ = false;
  if (state.leading) {
    last_renewed_ = now;
    if (state_ == State::Standby || state.row.epoch != epoch_) {
      state_ = State::Elected;
      epoch_ = state.row.epoch;
      standing_for_.clear();
      v.acquired = true;
    }
    return v;
  }
  if (state_ != State::Standby) {
    v.stepped_down = "epoch " + std::to_string(state.row.epoch) + " is held by " + state.row.host + " pid " +
                     std::to_string(state.row.pid);
    step_down();
  }
  const std::string holder = state.row.holder.value_or("");
  if (holder != standing_for_) {
    standing_for_ = holder;
    v.holder_changed = true;
  }
  // Tried again just after it expires, so a standby takes over within the
  // lease's length of the leader's last renewal.
  const Millis until_expiry = std::max(state.row.expires_in, Millis(0)) + Millis(50);
  v.next = std::min(v.next, until_expiry);
  return v;
}

Leadership::Verdict Leadership::renewal_failed(const std::string& error, bool fatal, SteadyTime now) {
  Verdict v;
  v.next = fatal ? std::chrono::duration_cast<Millis>(length_) : std::chrono::duration_cast<Millis>(length_) / 3;
  office_retry_wait_ = false;
  v.first_failure = !failing_;
  failing_ = true;
  if (state_ != State::Standby && (!last_renewed_ || now - *last_renewed_ >= length_)) {
    v.stepped_down = "the lease could not be renewed for " + std::to_string(length_.count()) + " s: " + error;
    step_down();
  }
  return v;
}

void Leadership::office_taken() {
  if (state_ != State::Elected) return;  // deposed meanwhile
  state_ = State::InOffice;
  first_office_ = false;
}

void Leadership::session_lost() {
  if (state_ == State::InOffice) state_ = State::Elected;
}

void Leadership::step_down() {
  state_ = State::Standby;
  last_renewed_.reset();
}

}  // namespace segmentd
