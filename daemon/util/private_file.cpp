#include "private_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <random>

#include "errors.h"

namespace segmentd {

namespace fs = std::filesystem;

namespace {
constexpr std::size_t kBufferBytes = 1 << 16;

bool process_exists(long pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}
}  // namespace

PrivateFile::PrivateFile(fs::path path, unsigned mode) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd_ < 0) fail("cannot create", errno);
  // O_CREAT's mode is filtered by the umask; the mode asked for is meant.
  if (::fchmod(fd_, static_cast<mode_t>(mode)) != 0) fail("cannot set the mode of", errno);
  buffer_.reserve(kBufferBytes);
}

PrivateFile::~PrivateFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!keep_) {
    std::error_code ec;
    fs::remove(path_, ec);
  }
}

void PrivateFile::fail(const char* what, int error_number) const {
  throw IoError(std::string(what) + " " + path_.string() + ": " + std::strerror(error_number), error_number);
}

void PrivateFile::write(std::string_view data) {
  if (buffer_.size() + data.size() > kBufferBytes) flush_buffer();
  if (data.size() >= kBufferBytes) {
    buffer_.assign(data);
    flush_buffer();
    return;
  }
  buffer_.append(data);
}

void PrivateFile::flush_buffer() {
  std::size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot write", errno);
    done += static_cast<std::size_t>(n);
  }
  buffer_.clear();
}

void PrivateFile::sync() {
  flush_buffer();
  if (::fsync(fd_) != 0) fail("cannot sync", errno);
}

void PrivateFile::close() {
  if (fd_ < 0) return;
  flush_buffer();
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("cannot close", errno);
}

void create_private_file(const fs::path& path) {
  PrivateFile file(path);
  file.close();
  file.keep();
}

std::string scratch_name(std::string_view prefix, std::string_view suffix) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string s(prefix);
  s += std::to_string(::getpid());
  s += '-';
  for (int i = 0; i < 12; ++i) s += hex[rng() % 16];
  s += suffix;
  return s;
}

std::size_t sweep_scratch(const fs::path& dir, std::string_view prefix) {
  std::size_t removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string rest = name.substr(prefix.size());
    const auto dash = rest.find('-');
    if (dash == 0 || dash == std::string::npos) continue;
    long pid = 0;
    try {
      pid = std::stol(rest.substr(0, dash));
    } catch (const std::exception&) {
      continue;
    }
    if (process_exists(pid)) continue;
    std::error_code rm;
    if (fs::remove_all(it->path(), rm) > 0 && !rm) ++removed;
  }
  return removed;
}

}  // namespace segmentd
