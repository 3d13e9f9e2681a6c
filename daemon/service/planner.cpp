#include "planner.h"

#include <algorithm>
#include <cmath>

namespace segmentd {

const char* to_string(RefreshTrigger t) {
  switch (t) {
    case RefreshTrigger::File:
      return "file";
    case RefreshTrigger::Schedule:
      return "schedule";
    case RefreshTrigger::Catchup:
      return "catchup";
  }
  return "file";
}

const char* to_string(ActionKind k) {
  switch (k) {
    case ActionKind::Nothing:
      return "nothing";
    case ActionKind::TakeOffice:
      return "take_office";
    case ActionKind::ApplySettings:
      return "apply_settings";
    case ActionKind::Heartbeat:
      return "heartbeat";
    case ActionKind::Refresh:
      return "refresh";
    case ActionKind::Load:
      return "load";
    case ActionKind::Move:
      return "move";
    case ActionKind::Retention:
      return "retention";
    case ActionKind::WaitUntil:
      return "wait";
  }
  return "nothing";
}

void merge_refresh(std::optional<RefreshRequest>& wanted, RefreshRequest incoming) {
  if (!wanted) {
    wanted = std::move(incoming);
    return;
  }
  const bool full = wanted->full || incoming.full;
  if (!wanted->debounced) {  // an immediate one already waits
    wanted->full = full;
    return;
  }
  if (!incoming.debounced) {
    wanted = std::move(incoming);
    wanted->full = full;
    return;
  }
  wanted->due = std::max(wanted->due, incoming.due);
  wanted->only_if_owed = wanted->only_if_owed && incoming.only_if_owed;
  wanted->full = full;
}

Action plan_next(const PlanState& s) {
  if (s.busy || s.stopping) return {};
  const InboxQueue* q = s.queue;
  if (q != nullptr) {
    if (const auto* e = q->next_move(s.now)) return {ActionKind::Move, e->path.filename().string(), {}};
  }
  const auto wait_for_queue = [&](std::optional<SteadyTime> also) -> Action {
    std::optional<SteadyTime> until = also;
    if (q != nullptr) {
      if (auto due = q->next_due(); due && *due > s.now && (!until || *due < *until)) until = due;
    }
    if (!until) return {};
    return {ActionKind::WaitUntil, {}, *until};
  };
  // Loads and refreshes need the database; the reconnect timer calls back.
  if (!s.connected) return wait_for_queue(std::nullopt);
  if (s.office_due) return {ActionKind::TakeOffice, {}, {}};
  // A standby waits for the lease; the lease timer calls back.
  if (!s.leading) return {};
  if (s.settings_due) return {ActionKind::ApplySettings, {}, {}};
  if (s.heartbeat_due) return {ActionKind::Heartbeat, {}, {}};
  if (s.refresh && !s.refresh->debounced) return {ActionKind::Refresh, {}, {}};
  if (q != nullptr) {
    if (const auto* e = q->next_load(s.now)) return {ActionKind::Load, e->path.filename().string(), {}};
  }
  if (s.refresh) {
    if (s.now < s.refresh->due) return wait_for_queue(s.refresh->due);
    if (s.settling == 0) return {ActionKind::Refresh, {}, {}};
    // Settling files are re-examined by the scan's own timer, which calls
    // back; there is nothing of ours to wait for.
  }
  // A pass is cut into slices of a few seconds (retention.h), so a file
  // that turns up or comes off a backoff meanwhile waits one slice at most.
  if (s.retention_due && !s.refresh && s.settling == 0) return {ActionKind::Retention, {}, {}};
  return wait_for_queue(std::nullopt);
}

std::chrono::milliseconds backoff_delay(unsigned attempt, std::chrono::milliseconds initial,
                                        std::chrono::milliseconds cap, std::mt19937& rng) {
  const double base = std::min<double>(static_cast<double>(cap.count()),
                                       static_cast<double>(initial.count()) * std::pow(2.0, std::min(attempt, 30u)));
  std::uniform_real_distribution<double> jitter(0.0, 0.25);
  return std::chrono::milliseconds(static_cast<long long>(base * (1.0 + jitter(rng))));
}

const char* to_string(LoadVerdict v) {
  switch (v) {
    case LoadVerdict::WaitForConnection:
      return "wait_for_connection";
    case LoadVerdict::RetrySoon:
      return "retry_soon";
    case LoadVerdict::RetryWithBackoff:
      return "retry_with_backoff";
    case LoadVerdict::GiveUp:
      return "give_up";
    case LoadVerdict::Move:
      return "move";
    case LoadVerdict::LetGo:
      return "let_go";
  }
  return "move";
}

LoadDecision judge_load(const LoadFacts& facts, unsigned failures_so_far, const RetryPolicy& policy,
                        std::mt19937& rng) {
  const auto counted = [&]() -> LoadDecision {
    if (failures_so_far + 1 >= policy.max_transient_failures) return {LoadVerdict::GiveUp, {}, false};
    return {LoadVerdict::RetryWithBackoff, backoff_delay(failures_so_far, policy.first_retry, policy.max_retry, rng),
            false};
  };
  if (facts.job_error) {
    switch (*facts.job_error) {
      case ErrorCategory::ConnectionLost:
        return {LoadVerdict::WaitForConnection, {}, false};
      case ErrorCategory::Transient:
        return {LoadVerdict::RetrySoon, policy.lock_busy_retry, false};
      case ErrorCategory::Permanent:
        return counted();  // not the file's outcome: tried again, a few times
    }
  }
  if (facts.gone || facts.status == FileStatus::Interrupted || facts.status == FileStatus::Changed) {
    return {LoadVerdict::LetGo, {}, false};
  }
  if (facts.status == FileStatus::Failed && facts.failure == ErrorCategory::Transient) return counted();
  return {LoadVerdict::Move, {}, facts.status == FileStatus::Loaded && facts.after_ingest};
}

}  // namespace segmentd
