#include "inbox_queue.h"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace segmentd {

const char* to_string(FileStage s) {
  switch (s) {
    case FileStage::Waiting:
      return "waiting";
    case FileStage::Loading:
      return "loading";
    case FileStage::Moving:
      return "moving";
  }
  return "waiting";
}

InboxQueue::Entry& InboxQueue::at(const std::string& name) {
  auto it = entries_.find(name);
  if (it == entries_.end()) throw std::logic_error("inbox queue: no entry for " + name);
  return it->second;
}

const InboxQueue::Entry* InboxQueue::find(const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

bool InboxQueue::offer(const std::filesystem::path& file, Clock::time_point now) {
  const std::string name = file.filename().string();
  if (entries_.count(name)) return false;
  Entry e;
  e.path = file;
  e.found_at = now;
  e.not_before = now;
  e.arrival = ++sequence_;
  entries_.emplace(name, std::move(e));
  return true;
}

const InboxQueue::Entry* InboxQueue::next_load(Clock::time_point now) const {
  const Entry* best = nullptr;
  for (const auto& [name, e] : entries_) {
    if (e.stage != FileStage::Waiting || e.not_before > now) continue;
    if (!best || e.arrival < best->arrival) best = &e;
  }
  return best;
}

const InboxQueue::Entry* InboxQueue::next_move(Clock::time_point now) const {
  for (const auto& [name, e] : entries_) {
    if (e.stage == FileStage::Moving && e.not_before <= now) return &e;
  }
  return nullptr;
}

std::optional<InboxQueue::Clock::time_point> InboxQueue::next_due() const {
  std::optional<Clock::time_point> out;
  for (const auto& [name, e] : entries_) {
    if (e.stage == FileStage::Loading) continue;
    if (!out || e.not_before < *out) out = e.not_before;
  }
  return out;
}

void InboxQueue::start_load(const std::string& name) {
  Entry& e = at(name);
  if (e.stage != FileStage::Waiting) throw std::logic_error("inbox queue: " + name + " is not waiting");
  e.stage = FileStage::Loading;
}

unsigned InboxQueue::load_deferred(const std::string& name, Clock::time_point retry_at, bool counts) {
  Entry& e = at(name);
  e.stage = FileStage::Waiting;
  e.not_before = retry_at;
  if (counts) ++e.transient_failures;
  return e.transient_failures;
}

void InboxQueue::drop(const std::string& name) {
  entries_.erase(name);
}

void InboxQueue::load_finished(const std::string& name, MovePlan plan, Clock::time_point now) {
  Entry& e = at(name);
  e.stage = FileStage::Moving;
  e.move = std::move(plan);
  e.not_before = now;
  e.transient_failures = 0;
}

unsigned InboxQueue::move_failed(const std::string& name, MovePlan progress, Clock::time_point retry_at) {
  Entry& e = at(name);
  e.move = std::move(progress);
  e.not_before = retry_at;
  return ++e.move_failures;
}

void InboxQueue::move_finished(const std::string& name) {
  drop(name);
}

void InboxQueue::forget_missing(const std::vector<std::string>& present) {
  const std::set<std::string> here(present.begin(), present.end());
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.stage == FileStage::Waiting && !here.count(it->first)) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

std::size_t InboxQueue::count(FileStage stage) const {
  return static_cast<std::size_t>(
      std::count_if(entries_.begin(), entries_.end(), [&](const auto& kv) { return kv.second.stage == stage; }));
}

std::optional<InboxQueue::Clock::time_point> InboxQueue::oldest_found() const {
  std::optional<Clock::time_point> out;
  for (const auto& [name, e] : entries_) {
    if (!out || e.found_at < *out) out = e.found_at;
  }
  return out;
}

std::optional<InboxQueue::Clock::time_point> InboxQueue::newest_found() const {
  std::optional<Clock::time_point> out;
  for (const auto& [name, e] : entries_) {
    if (!out || e.found_at > *out) out = e.found_at;
  }
  return out;
}

}  // namespace segmentd
