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

// An entry of the folder that is not a drop and not ignored by name: a
// symlink, a FIFO, a device, a socket or a folder other than processed/
// and quarantine/ (which the caller leaves out by name).
struct SkippedEntry {
  std::string name;
  std::string type;  // "symlink", "directory", "fifo", "socket", "device"
};

// The folder's candidate files, in no particular order. `ec` reports a
// folder that cannot be listed; files that vanish while listed are skipped.
// Entries that are not regular files go to `skipped` when given.
std::vector<InboxEntry> list_inbox(const std::filesystem::path& dir, const std::vector<std::string>& ignore,
                                   std::error_code& ec, std::vector<SkippedEntry>* skipped = nullptr);

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
  // Names of every candidate file the last scan saw, settled or not.
  std::vector<std::string> present() const;
  // The file was renamed into the folder: by the producers' convention it
  // is complete, so it need not wait for the settle time.
  void mark_complete(const std::string& name);
  // Forget a file (after it was moved away, or to re-observe it).
  void forget(const std::filesystem::path& file);
  // Entries that are not drops, reported once each while they stay (the
  // caller logs them); names in `known_folders` (processed/, quarantine/)
  // are never reported.
  std::vector<SkippedEntry> take_new_skipped();
  void set_known_folders(std::set<std::string> names) { known_folders_ = std::move(names); }
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
  std::set<std::string> known_folders_;
  std::set<std::string> skipped_reported_;
  std::vector<SkippedEntry> new_skipped_;
};

}  // namespace segmentd
