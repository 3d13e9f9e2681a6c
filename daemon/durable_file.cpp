#include "durable_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <system_error>

namespace segmentd {

namespace fs = std::filesystem;

void fsync_path(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw fs::filesystem_error("cannot open to sync", path, std::error_code(errno, std::generic_category()));
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0) throw fs::filesystem_error("fsync failed", path, std::error_code(saved, std::generic_category()));
}

void write_file_atomically(const fs::path& path, const std::string& text) {
  const fs::path temp = path.parent_path() / ("." + path.filename().string() + ".tmp");
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw fs::filesystem_error("cannot write", temp, std::make_error_code(std::errc::io_error));
  }
  fsync_path(temp);
  fs::rename(temp, path);
  fsync_path(path.parent_path());
}

}  // namespace segmentd
