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

RefreshRequest RefreshWanted::take() {
  RefreshRequest out = *wanted_;
  wanted_.reset();
  return out;
}

}  // namespace segmentd
