#include "durable_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "errors.h"
#include "private_file.h"

namespace segmentd {

namespace fs = std::filesystem;

void fsync_path(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IoError("cannot open " + path.string() + " to sync: " + std::strerror(errno), errno);
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0) throw IoError("cannot sync " + path.string() + ": " + std::strerror(saved), saved);
}

void write_file_atomically(const fs::path& path, const std::string& text, unsigned mode) {
  PrivateFile temp(path.parent_path() / scratch_name(kAtomicTempPrefix, ""), mode);
  temp.write(text);
  temp.sync();
  temp.close();
  if (::rename(temp.path().c_str(), path.c_str()) != 0) {
    const int saved = errno;
    throw IoError("cannot rename into " + path.string() + ": " + std::strerror(saved), saved);
  }
  temp.keep();
  fsync_path(path.parent_path());
}

}  // namespace segmentd
