#pragma once
// The inbox folder: which files are ready to take (complete, not ignored,
// size and mtime unchanged for the settle time), and where they go after.
// Pure file-system logic; the daemon decides when to look.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace segmentd {

// fnmatch(3) against the file name only; a leading '.' needs an explicit
// pattern such as ".*".
bool is_ignored(const std::string& name, const std::vector<std::string>& patterns);

// A file that may be a drop: a regular file (not a symlink or folder) whose
// name no ignore pattern matches.
struct InboxEntry {
  std::filesystem::path path;
  std::uintmax_t size = 0;
  std::filesystem::file_time_type mtime;
};

// The folder's candidate files, in no particular order. `ec` reports a
// folder that cannot be listed; files that vanish while listed are skipped.
std::vector<InboxEntry> list_inbox(const std::filesystem::path& dir, const std::vector<std::string>& ignore,
                                   std::error_code& ec);

class InboxTracker {
 public:
  using Clock = std::chrono::steady_clock;

  InboxTracker(std::filesystem::path dir, std::vector<std::string> ignore, std::chrono::seconds settle);

  // Lists the folder and updates what it knows of each file. Returns the
  // files that have been stable for the settle time, oldest mtime first.
  std::vector<std::filesystem::path> scan(Clock::time_point now);
  // Files seen but not yet settled (for status and for "is a batch still
  // arriving?").
  std::size_t settling() const;
  // The file was renamed into the folder: by the producers' convention it
  // is complete, so it need not wait for the settle time.
  void mark_complete(const std::string& name);
  // Forget a file (after it was moved away, or to re-observe it).
  void forget(const std::filesystem::path& file);
  const std::filesystem::path& dir() const { return dir_; }

 private:
  struct Observation {
    std::uintmax_t size = 0;
    std::filesystem::file_time_type mtime;
    Clock::time_point stable_since;
  };
  std::filesystem::path dir_;
  std::vector<std::string> ignore_;
  std::chrono::seconds settle_;
  std::map<std::string, Observation> seen_;
  std::set<std::string> complete_;
  std::size_t settling_ = 0;
};

// Moves `file` into `dir` under its own name, or "<stem>.<n><ext>" when that
// is taken; never overwrites. Falls back to copy-and-remove across file
// systems. Returns the destination. Throws std::filesystem::filesystem_error.
std::filesystem::path move_into(const std::filesystem::path& file, const std::filesystem::path& dir);

}  // namespace segmentd
