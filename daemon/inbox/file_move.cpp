#include "file_move.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "durable_file.h"
#include "errors.h"
#include "private_file.h"
#include "text.h"

namespace segmentd {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& what, const fs::path& path, int error_number) {
  throw IoError(what + " " + path.string() + ": " + std::strerror(error_number), error_number);
}

fs::path candidate(const fs::path& file, const fs::path& dir, unsigned n) {
  if (n == 0) return dir / file.filename();
  return dir / (file.stem().string() + "." + std::to_string(n) + file.extension().string());
}

// Gives `from` the first free name in `dir`; link(2) fails on a taken name,
// so nothing is ever overwritten. Returns the name, or empty when the file
// system has no hard links (errno then says why).
fs::path link_to_free_name(const fs::path& from, const fs::path& file, const fs::path& dir, int& error_number) {
  for (unsigned n = 0; n < 100000; ++n) {
    const fs::path target = candidate(file, dir, n);
    if (::link(from.c_str(), target.c_str()) == 0) return target;
    if (errno != EEXIST) {
      error_number = errno;
      return {};
    }
  }
  error_number = EEXIST;
  return {};
}

void copy_contents(const fs::path& from, PrivateFile& to) {
  const int fd = ::open(from.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) fail("cannot read", from, errno);
  std::string buf(1 << 20, '\0');
  while (true) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int saved = errno;
      ::close(fd);
      fail("cannot read", from, saved);
    }
    if (n == 0) break;
    try {
      to.write(std::string_view(buf.data(), static_cast<std::size_t>(n)));
    } catch (...) {
      ::close(fd);
      throw;
    }
  }
  ::close(fd);
}

}  // namespace

// A move cut short between its link and its unlink leaves the file under
// both names (one inode); finishing it means removing the inbox's name.
static bool already_moved(const fs::path& file, const fs::path& target) {
  struct stat a {
  }, b{};
  return ::lstat(file.c_str(), &a) == 0 && ::lstat(target.c_str(), &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

fs::path move_into(const fs::path& file, const fs::path& dir, const std::optional<FileIdentity>& expected) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail("cannot create folder", dir, ec.value());
  if (already_moved(file, dir / file.filename())) {
    if (::unlink(file.c_str()) != 0) fail("cannot remove", file, errno);
    return dir / file.filename();
  }
  int error_number = 0;
  fs::path target = link_to_free_name(file, file, dir, error_number);
  if (!target.empty()) {
    // Renamed over between the caller's look and the link: the link took
    // the new file. It is taken back; the inbox keeps it under its name.
    if (expected && FileIdentity::of_path(target) != expected) {
      ::unlink(target.c_str());
      return {};
    }
    // No fsync here: both names are in one file system's journal, and a
    // move lost to a power cut only brings the file back to the inbox,
    // where its content is recognised as already loaded. (A folder fsync
    // forces a journal commit: up to a second on a busy disk, per file.)
    if (::unlink(file.c_str()) != 0) {
      const int saved = errno;
      ::unlink(target.c_str());
      fail("cannot remove", file, saved);
    }
    return target;
  }
  if (error_number != EXDEV && error_number != EPERM && error_number != ENOTSUP) {
    fail("cannot move into " + dir.string() + ":", file, error_number);
  }
  // Another file system: a whole copy under a temporary name first, kept
  // only if the name still is the expected file once copied.
  {
    PrivateFile temp(dir / scratch_name(kMoveTempPrefix, ""));
    copy_contents(file, temp);
    if (expected && FileIdentity::of_path(file) != expected) return {};  // the destructor removes the copy
    temp.sync();
    temp.close();
    target = link_to_free_name(temp.path(), file, dir, error_number);
    if (target.empty()) fail("cannot link into " + dir.string() + ":", temp.path(), error_number);
    // The temporary name is removed by its destructor.
  }
  fsync_path(dir);
  if (::unlink(file.c_str()) != 0) fail("cannot remove (it was copied to " + target.string() + ")", file, errno);
  return target;
}

std::optional<fs::path> carry_out(const fs::path& file, MovePlan& plan) {
  if (!plan.moved_to) {
    if (plan.loaded && FileIdentity::of_path(file) != plan.loaded) return std::nullopt;
    fs::path moved = move_into(file, plan.target_dir, plan.loaded);
    if (moved.empty()) return std::nullopt;
    plan.moved_to = std::move(moved);
  }
  const fs::path& moved = *plan.moved_to;
  const fs::path rejects_beside = moved.string() + ".rejects.csv";
  if (!plan.rejects_file.empty() && plan.rejects_file != rejects_beside) {
    std::error_code ec;
    if (fs::exists(plan.rejects_file, ec)) {
      if (::rename(plan.rejects_file.c_str(), rejects_beside.c_str()) != 0) {
        fail("cannot move rejects file", plan.rejects_file, errno);
      }
    }
    plan.rejects_file = rejects_beside;
  }
  if (plan.quarantine && !plan.reason.empty()) {
    write_file_atomically(moved.string() + ".reason.txt",
                          "file: " + escape_bytes(file.string()) + "\n" + plan.reason +
                              (plan.rejects_file.empty() ? "" : "rejects: " + plan.rejects_file.string() + "\n"));
    plan.reason.clear();
  }
  return moved;
}

}  // namespace segmentd
