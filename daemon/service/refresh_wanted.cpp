#include "refresh_wanted.h"

#include <algorithm>

namespace segmentd {

void RefreshWanted::after_data(const std::string& started_by, std::optional<SteadyTime> newest_found,
                               std::chrono::seconds debounce) {
  last_arrival_ = std::max(last_arrival_, newest_found.value_or(last_arrival_));
  want({RefreshTrigger::File, started_by, true, last_arrival_ + debounce});
}

void RefreshWanted::lost_with_connection(const RefreshRequest& wanted, SteadyTime now) {
  RefreshRequest again = wanted;
  again.due = now;
  want(std::move(again));
}

bool RefreshWanted::skipped(const RefreshRequest& wanted, SteadyTime now, std::chrono::milliseconds retry) {
  if (wanted.trigger != RefreshTrigger::File) return false;
  RefreshRequest again = wanted;
  again.debounced = true;
  again.due = now + retry;
  again.only_if_owed = true;
  want(std::move(again));
  return true;
}

std::optional<std::chrono::milliseconds> RefreshWanted::failed_transiently(const RefreshRequest& wanted, SteadyTime now,
                                                                           std::chrono::milliseconds base) {
  const auto wait = base * (1u << std::min(transient_failures_, 5u));
  if (!skipped(wanted, now, wait)) return std::nullopt;
  ++transient_failures_;
  return wait;
}

RefreshRequest RefreshWanted::take() {
  RefreshRequest out = *wanted_;
  wanted_.reset();
  return out;
}

}  // namespace segmentd
