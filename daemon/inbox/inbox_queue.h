#pragma once
// The one place that knows what the daemon is doing with each file it took
// from the inbox: waiting to be loaded (possibly backing off after a
// transient failure), being loaded, or loaded (or refused) and waiting to be
// moved out. Pure bookkeeping over a clock passed in: no files, no
// database, no timers, so every transition is unit-tested.
//
// A file's entry lives from the moment it is found ready until it has been
// moved out of the inbox (or has left it some other way); while it exists,
// finding the same name again in the folder changes nothing, so a file is
// never loaded twice by one daemon and a failed move never repeats a load.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "file_identity.h"
#include "file_status.h"

namespace segmentd {

// Where a file goes once its load has an outcome, and what is written
// beside it. Kept with the entry, so a move that failed is retried as it was.
struct MovePlan {
  std::filesystem::path target_dir;  // processed/ or quarantine/
  bool quarantine = false;
  std::string reason;                             // the reason file's text (quarantine only), without the paths
  std::filesystem::path rejects_file;             // written by the load; moved beside the file
  std::optional<std::filesystem::path> moved_to;  // set once the file itself is moved
  // For the log line once the move is done.
  std::uint64_t run_id = 0;
  FileStatus status = FileStatus::Failed;
  std::string message;
  // The file the load read (inode, size, modification time): the name is
  // moved only while it still is that file, unchanged. Unset: not checked.
  std::optional<FileIdentity> loaded;
};

enum class FileStage { Waiting, Loading, Moving };
const char* to_string(FileStage s);

class InboxQueue {
 public:
  using Clock = std::chrono::steady_clock;

  struct Entry {
    std::filesystem::path path;
    FileStage stage = FileStage::Waiting;
    Clock::time_point found_at;
    std::uint64_t arrival = 0;     // order of offer(), for fairness among equal times
    Clock::time_point not_before;  // no attempt (load or move) before this
    unsigned transient_failures = 0;
    unsigned move_failures = 0;
    MovePlan move;
  };

  // A file found ready in the folder; false when it is already known.
  bool offer(const std::filesystem::path& file, Clock::time_point now);
  // The oldest waiting file due for loading at `now`.
  const Entry* next_load(Clock::time_point now) const;
  // A loaded (or refused) file due for its move at `now`.
  const Entry* next_move(Clock::time_point now) const;
  // The earliest moment an entry waiting on a backoff becomes due, if any.
  std::optional<Clock::time_point> next_due() const;

  void start_load(const std::string& name);
  // Not loaded for a reason that passes (a deadlock, a lock held elsewhere,
  // a lost connection): waiting again, not before `retry_at`. `counts`
  // tells whether it counts towards giving up; returns the failures so far.
  unsigned load_deferred(const std::string& name, Clock::time_point retry_at, bool counts);
  // The file is no longer the queue's (interrupted by a stop, vanished):
  // the folder scan finds it again if it is still there.
  void drop(const std::string& name);
  // The load has its outcome: the file is to be moved as planned.
  void load_finished(const std::string& name, MovePlan plan, Clock::time_point now);
  // The move (or part of it) failed: retried not before `retry_at`. Returns
  // the failures so far (1 on the first, which is the one to alert on).
  unsigned move_failed(const std::string& name, MovePlan progress, Clock::time_point retry_at);
  void move_finished(const std::string& name);

  // Waiting files that are no longer in the folder (removed by hand) leave
  // the queue; `present` are the names the scan saw.
  void forget_missing(const std::vector<std::string>& present);

  const Entry* find(const std::string& name) const;
  std::size_t size() const { return entries_.size(); }
  std::size_t count(FileStage stage) const;
  // Files found but not yet loaded, due now or later.
  std::size_t waiting() const { return count(FileStage::Waiting); }
  std::optional<Clock::time_point> newest_found() const;
  // When the longest-waiting file was found (the inbox-age metric).
  std::optional<Clock::time_point> oldest_found() const;

 private:
  Entry& at(const std::string& name);
  std::map<std::string, Entry> entries_;  // by file name
  std::uint64_t sequence_ = 0;
};

}  // namespace segmentd
