#pragma once
// Files that survive a crash whole or not at all: write under a temporary
// name, fsync, rename into place, fsync the folder.

#include <filesystem>
#include <string>

namespace segmentd {

// fsync a file or a folder. Throws std::filesystem::filesystem_error.
void fsync_path(const std::filesystem::path& path);

// Writes `text` to `path` atomically. Throws std::filesystem::filesystem_error.
void write_file_atomically(const std::filesystem::path& path, const std::string& text);

}  // namespace segmentd
