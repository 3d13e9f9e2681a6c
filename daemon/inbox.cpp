#include "inbox.h"

#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

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

std::vector<InboxEntry> list_inbox(const fs::path& dir, const std::vector<std::string>& ignore, std::error_code& ec) {
  std::vector<InboxEntry> out;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto& entry = *it;
    // Subfolders (processed/, quarantine/) and symlinks are not drops.
    std::error_code type_ec;
    if (!entry.is_regular_file(type_ec) || entry.is_symlink(type_ec)) continue;
    if (is_ignored(entry.path().filename().string(), ignore)) continue;
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
  for (auto& entry : list_inbox(dir_, ignore_, ec)) {
    const std::string name = entry.path.filename().string();
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
  std::erase_if(complete_, [this](const std::string& n) { return !seen_.count(n); });
  std::sort(ready.begin(), ready.end(), [](const InboxEntry& a, const InboxEntry& b) {
    return a.mtime != b.mtime ? a.mtime < b.mtime : a.path < b.path;
  });
  std::vector<fs::path> out;
  for (auto& r : ready) out.push_back(std::move(r.path));
  return out;
}

std::size_t InboxTracker::settling() const {
  return settling_;
}

void InboxTracker::mark_complete(const std::string& name) {
  complete_.insert(name);
}

void InboxTracker::forget(const fs::path& file) {
  seen_.erase(file.filename().string());
  complete_.erase(file.filename().string());
}

fs::path move_into(const fs::path& file, const fs::path& dir) {
  fs::create_directories(dir);
  const auto stem = file.stem().string();
  const auto ext = file.extension().string();
  for (unsigned n = 0;; ++n) {
    const fs::path target = dir / (n == 0 ? file.filename().string() : stem + "." + std::to_string(n) + ext);
    // link+unlink instead of rename: link fails when the name is taken, so a
    // file already in processed/ is never overwritten.
    if (::link(file.c_str(), target.c_str()) == 0) {
      fs::remove(file);
      return target;
    }
    if (errno == EEXIST) continue;
    if (errno != EXDEV && errno != EPERM && errno != ENOTSUP) {
      throw fs::filesystem_error("cannot move into " + dir.string(), file, target,
                                 std::error_code(errno, std::generic_category()));
    }
    // Another file system (or no hard links): copy, then remove the source.
    if (fs::exists(target)) continue;
    fs::copy_file(file, target, fs::copy_options::none);
    fs::remove(file);
    return target;
  }
}

}  // namespace segmentd
