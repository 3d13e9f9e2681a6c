#include "file_expiry.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "errors.h"
#include "text.h"
#include "unique_fd.h"

namespace segmentd {

namespace {

// segmentd's own in-progress names (moves, atomic writes): the start-up
// sweep owns them.
bool own_temporary(const std::string& name) {
  return name.rfind(".segmentd-", 0) == 0;
}

[[noreturn]] void fail(const std::filesystem::path& dir, const char* what) {
  const int e = errno;
  throw IoError(escape_bytes(dir.string()) + ": " + what + ": " + std::strerror(e), e);
}

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

// Calls `each(dirfd, name, stat)` for every regular file directly in `dir`.
template <typename Each>
void for_each_regular_file(const std::filesystem::path& dir, Each each) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return;
    fail(dir, "cannot open folder");
  }
  // fdopendir takes its own descriptor: the listing and the removals use
  // the same opened folder.
  const int listing_fd = ::dup(fd.get());
  if (listing_fd < 0) fail(dir, "cannot open folder");
  std::unique_ptr<DIR, DirCloser> listing(::fdopendir(listing_fd));
  if (!listing) {
    const int saved = errno;
    ::close(listing_fd);
    errno = saved;
    fail(dir, "cannot read folder");
  }
  errno = 0;
  while (const dirent* entry = ::readdir(listing.get())) {
    const std::string name = entry->d_name;
    if (name == "." || name == ".." || own_temporary(name)) continue;
    struct stat st {};
    if (::fstatat(fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
    each(fd.get(), name, st);
    errno = 0;
  }
  if (errno != 0) fail(dir, "cannot read folder");
}

}  // namespace

std::set<std::string> regular_files_in(const std::filesystem::path& dir) {
  std::set<std::string> out;
  for_each_regular_file(dir, [&](int, const std::string& name, const struct stat&) { out.insert(name); });
  return out;
}

ExpiredFiles expire_files(const std::filesystem::path& dir, std::chrono::seconds older_than,
                          std::chrono::system_clock::time_point now, bool dry_run) {
  ExpiredFiles out;
  const auto cutoff = std::chrono::system_clock::to_time_t(now) - older_than.count();
  for_each_regular_file(dir, [&](int dirfd, const std::string& name, const struct stat& st) {
    if (st.st_ctim.tv_sec >= cutoff) return;
    if (!dry_run && ::unlinkat(dirfd, name.c_str(), 0) != 0) {
      if (errno != ENOENT) out.errors.push_back(escape_bytes(name) + ": " + std::strerror(errno));
      return;
    }
    out.names.push_back(name);
    out.bytes += static_cast<std::uint64_t>(st.st_size);
  });
  return out;
}

}  // namespace segmentd
