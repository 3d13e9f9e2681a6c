#pragma once
// Files segmentd writes that may hold customer data (scratch copies of
// loads, sort batches, rejects, exports, reason files): created with mode
// 0600 whatever the umask, with O_EXCL so an existing name (or a planted
// symlink) is never reused, written with write(2) so a failure reports its
// own errno (ENOSPC, not whatever a stream left behind), and removed on
// destruction unless kept.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace segmentd {

class PrivateFile {
 public:
  // Creates `path` with `mode` (0600 unless a reader outside the service
  // must read it, as exports.file_mode allows); throws IoError.
  explicit PrivateFile(std::filesystem::path path, unsigned mode = 0600);
  ~PrivateFile();
  PrivateFile(const PrivateFile&) = delete;
  PrivateFile& operator=(const PrivateFile&) = delete;

  // Buffered; throws IoError naming the file.
  void write(std::string_view data);
  // Writes the buffer out and fsyncs; throws IoError.
  void sync();
  // Writes the buffer out and closes the file; it stays unless not kept.
  void close();
  // The file is not removed on destruction.
  void keep() { keep_ = true; }
  const std::filesystem::path& path() const { return path_; }

 private:
  void flush_buffer();
  [[noreturn]] void fail(const char* what, int error_number) const;

  std::filesystem::path path_;
  int fd_ = -1;
  std::string buffer_;
  bool keep_ = false;
};

// Creates an empty file with mode 0600 (O_EXCL), for writers that need a
// stream of their own; the mode stays when a stream re-opens it. Throws
// IoError.
void create_private_file(const std::filesystem::path& path);

// "<prefix><pid>-<random><suffix>": scratch names carry the creating
// process's pid, so a later process can tell a dead one's leftovers from a
// live one's files.
std::string scratch_name(std::string_view prefix, std::string_view suffix);

// Removes the entries of `dir` (files, or folders with their content) named
// "<prefix><pid>-..." whose pid is not a running process. Returns how many
// were removed; a folder that cannot be listed counts as empty.
std::size_t sweep_scratch(const std::filesystem::path& dir, std::string_view prefix);

}  // namespace segmentd
