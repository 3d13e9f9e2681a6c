#pragma once
// Files that survive a crash whole or not at all: write under a temporary
// name, fsync, rename into place, fsync the folder.

#include <filesystem>
#include <string>

namespace segmentd {

// Prefix of the temporary names write_file_atomically uses, for sweeps.
inline constexpr const char* kAtomicTempPrefix = ".segmentd-tmp-";

// fsync a file or a folder. Throws IoError.
void fsync_path(const std::filesystem::path& path);

// Writes `text` to `path` atomically, mode 0600 (private_file.h) unless a
// reader outside the service needs more. Throws IoError.
void write_file_atomically(const std::filesystem::path& path, const std::string& text, unsigned mode = 0600);

}  // namespace segmentd
