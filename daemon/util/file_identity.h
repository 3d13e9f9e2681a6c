#pragma once
// What a file is, for telling whether the name a load read is still the
// same file, unchanged, when it is moved: the inode (a file renamed over it
// is another one) and the size and modification time (an append changes
// both). Read from an open descriptor or from a path without following a
// symbolic link.

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace segmentd {

struct FileIdentity {
  std::uint64_t device = 0, inode = 0, size = 0;
  std::int64_t mtime_ns = 0;

  static FileIdentity of(const struct stat& st) {
    return {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
            static_cast<std::uint64_t>(st.st_size),
            static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
  }
  static std::optional<FileIdentity> of_fd(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return std::nullopt;
    return of(st);
  }
  static std::optional<FileIdentity> of_path(const std::filesystem::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return std::nullopt;
    return of(st);
  }
  bool same_file(const FileIdentity& o) const { return device == o.device && inode == o.inode; }
  bool operator==(const FileIdentity&) const = default;

  // How `now` differs from this, for a message: "replaced by another file",
  // "size 120 -> 4096", "modified".
  std::string change_to(const std::optional<FileIdentity>& now) const {
    if (!now) return "gone";
    if (!same_file(*now)) return "replaced by another file";
    if (size != now->size) return "size " + std::to_string(size) + " -> " + std::to_string(now->size) + " bytes";
    if (mtime_ns != now->mtime_ns) return "modified";
    return "unchanged";
  }
};

}  // namespace segmentd
