#pragma once
// Old files in processed/ and quarantine/. Only regular files directly in
// the folder are touched, through a handle on the folder itself
// (openat/fstatat/unlinkat without following links), so a symlink, a
// subfolder or a folder swapped for a link never leads a removal outside.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace segmentd {

struct ExpiredFiles {
  std::vector<std::string> names;  // removed (or, in a dry run, due), as stored bytes
  std::uint64_t bytes = 0;
  std::vector<std::string> errors;  // "NAME: why", escaped
};

// The regular files in `dir` (not segmentd's own temporary names), by name.
// A missing folder has none. Throws IoError when it cannot be read.
std::set<std::string> regular_files_in(const std::filesystem::path& dir);

// Removes the regular files in `dir` that arrived there more than
// `older_than` before `now`. Arrival is the inode's change time: moving a
// file in (a link, or a copy) sets it, while the modification time may be
// the sender's. `dry_run` only lists them. Throws IoError when the folder
// cannot be opened or read; a file that cannot be removed is an error in
// the result, and the rest go on.
ExpiredFiles expire_files(const std::filesystem::path& dir, std::chrono::seconds older_than,
                          std::chrono::system_clock::time_point now, bool dry_run);

}  // namespace segmentd
