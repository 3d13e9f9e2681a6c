#include "inbox.h"

#include <fnmatch.h>

#include <algorithm>
#include <system_error>
#include <utility>

namespace segmentd {

namespace fs = std::filesystem;

bool is_ignored(const std::string& name, const std::vector<std::string>& patterns) {
  for (const auto& p : patterns) {
    if (::fnmatch(p.c_str(), name.c_str(), FNM_PERIOD) == 0) return true;
  }
  return false;
}

InboxTracker::InboxTracker(fs::path dir, std::vector<std::string> ignore, std::chrono::seconds settle)
    : dir_(std::move(dir)), ignore_(std::move(ignore)), settle_(settle) {}

std::vector<InboxEntry> list_inbox(const fs::path& dir, const std::vector<std::string>& ignore, std::error_code& ec,
                                   std::vector<SkippedEntry>* skipped) {
  std::vector<InboxEntry> out;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto& entry = *it;
    const std::string name = entry.path().filename().string();
    if (is_ignored(name, ignore)) continue;
    // Subfolders (processed/, quarantine/), symlinks and special files are
    // not drops.
    std::error_code type_ec;
    const auto st = entry.symlink_status(type_ec);
    if (type_ec) continue;
    if (st.type() != fs::file_type::regular) {
      if (skipped != nullptr) {
        const char* type = st.type() == fs::file_type::symlink     ? "symlink"
                           : st.type() == fs::file_type::directory ? "directory"
                           : st.type() == fs::file_type::fifo      ? "fifo"
                           : st.type() == fs::file_type::socket    ? "socket"
                                                                   : "device";
        skipped->push_back({name, type});
      }
      continue;
    }
    std::error_code stat_ec;
    InboxEntry e{entry.path(), entry.file_size(stat_ec), {}};
    if (!stat_ec) e.mtime = entry.last_write_time(stat_ec);
    if (!stat_ec) out.push_back(std::move(e));
  }
  return out;
}

std::vector<fs::path> InboxTracker::scan(Clock::time_point now) {
  std::vector<InboxEntry> ready;
  std::map<std::string, Observation> still_there;
  std::error_code ec;
  settling_ = 0;
  std::vector<SkippedEntry> skipped;
  for (auto& entry : list_inbox(dir_, ignore_, ec, &skipped)) {
    const std::string name = entry.path.filename().string();
    // processed/ and quarantine/ are the daemon's own, even when something
    // replaced them with a plain file: never a drop.
    if (known_folders_.count(name)) continue;
    Observation obs{entry.size, entry.mtime, now};
    if (auto old = seen_.find(name);
        old != seen_.end() && old->second.size == entry.size && old->second.mtime == entry.mtime) {
      obs.stable_since = old->second.stable_since;
    }
    still_there[name] = obs;
    if (now - obs.stable_since >= settle_ || complete_.count(name)) {
      ready.push_back(std::move(entry));
    } else {
      ++settling_;
    }
  }
  seen_ = std::move(still_there);
  std::set<std::string> skipped_now;
  for (auto& s : skipped) {
    if (known_folders_.count(s.name)) continue;
    skipped_now.insert(s.name);
    if (skipped_reported_.insert(s.name).second) new_skipped_.push_back(std::move(s));
  }
  // A name that went away is reported again if it comes back.
  std::erase_if(skipped_reported_, [&](const std::string& n) { return !skipped_now.count(n); });
  std::erase_if(complete_, [this](const std::string& n) { return !seen_.count(n); });
  std::sort(ready.begin(), ready.end(), [](const InboxEntry& a, const InboxEntry& b) {
    return a.mtime != b.mtime ? a.mtime < b.mtime : a.path < b.path;
  });
  std::vector<fs::path> out;
  for (auto& r : ready) out.push_back(std::move(r.path));
  return out;
}

std::vector<std::string> InboxTracker::present() const {
  std::vector<std::string> out;
  for (const auto& [name, obs] : seen_) out.push_back(name);
  return out;
}

std::size_t InboxTracker::settling() const {
  return settling_;
}

void InboxTracker::mark_complete(const std::string& name) {
  complete_.insert(name);
}

std::vector<SkippedEntry> InboxTracker::take_new_skipped() {
  return std::exchange(new_skipped_, {});
}

void InboxTracker::forget(const fs::path& file) {
  seen_.erase(file.filename().string());
  complete_.erase(file.filename().string());
}

}  // namespace segmentd
