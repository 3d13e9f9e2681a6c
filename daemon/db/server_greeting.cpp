#include "server_greeting.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "errors.h"
#include "unique_fd.h"

namespace segmentd {
namespace {

constexpr std::uint32_t kClientSsl = 0x0800;
constexpr unsigned char kProtocol10 = 10;
constexpr unsigned char kErrorPacket = 0xFF;

struct AddrInfo {
  addrinfo* list = nullptr;
  ~AddrInfo() {
    if (list) freeaddrinfo(list);
  }
};

using Deadline = std::chrono::steady_clock::time_point;

int millis_left(Deadline deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Waits for `events` on fd until the deadline; false on timeout.
bool wait_for(int fd, short events, Deadline deadline) {
  pollfd p{fd, events, 0};
  while (true) {
    const int n = ::poll(&p, 1, millis_left(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

// A non-blocking connect to one address; -1 with errno set on failure.
int connect_one(const addrinfo& ai, Deadline deadline) {
  const int fd = ::socket(ai.ai_family, ai.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai.ai_protocol);
  if (fd < 0) return -1;
  if (::connect(fd, ai.ai_addr, ai.ai_addrlen) == 0) return fd;
  if (errno != EINPROGRESS || !wait_for(fd, POLLOUT, deadline)) {
    const int saved = errno == EINPROGRESS ? ETIMEDOUT : errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  int error = 0;
  socklen_t len = sizeof error;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
  if (error != 0) {
    ::close(fd);
    errno = error;
    return -1;
  }
  return fd;
}

bool read_exactly(int fd, char* out, std::size_t n, Deadline deadline) {
  std::size_t got = 0;
  while (got < n) {
    if (!wait_for(fd, POLLIN, deadline)) return false;
    const ssize_t r = ::recv(fd, out + got, n - got, 0);
    if (r == 0) return false;
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return false;
    }
    got += static_cast<std::size_t>(r);
  }
  return true;
}

}  // namespace

std::optional<ServerGreeting> parse_server_greeting(std::string_view payload) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(payload[i]); };
  if (payload.empty()) return std::nullopt;
  if (byte(0) == kErrorPacket) {
    // 0xFF, code (2 bytes), then the message (no SQL state before the
    // handshake).
    const int code = payload.size() >= 3 ? byte(1) | (byte(2) << 8) : 0;
    std::string message(payload.size() > 3 ? payload.substr(3) : std::string_view());
    throw DbError("the server refused the connection: " + message, code, "HY000");
  }
  if (byte(0) != kProtocol10) return std::nullopt;
  const auto nul = payload.find('\0', 1);
  // version NUL, thread id (4), scramble part 1 (8), filler (1), capabilities (2)
  if (nul == std::string_view::npos || payload.size() < nul + 1 + 4 + 8 + 1 + 2) return std::nullopt;
  ServerGreeting out;
  out.server_version = std::string(payload.substr(1, nul - 1));
  const std::size_t caps = nul + 1 + 4 + 8 + 1;
  const std::uint32_t lower = byte(caps) | (byte(caps + 1) << 8);
  out.offers_tls = (lower & kClientSsl) != 0;
  return out;
}

ServerGreeting read_server_greeting(const std::string& host, unsigned port, std::chrono::seconds timeout) {
  const std::string where = host + ":" + std::to_string(port);
  const Deadline deadline = std::chrono::steady_clock::now() + timeout;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = AF_UNSPEC;
  AddrInfo found;
  const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found.list);
  if (rc != 0) {
    throw DbError("unknown database host " + host + ": " + gai_strerror(rc), server_error::kUnknownHost, "HY000");
  }
  int last_errno = 0;
  for (addrinfo* ai = found.list; ai != nullptr; ai = ai->ai_next) {
    UniqueFd sock(connect_one(*ai, deadline));
    if (sock.get() < 0) {
      last_errno = errno;
      continue;
    }
    char header[4];
    if (!read_exactly(sock.get(), header, sizeof header, deadline)) {
      throw DbError("no greeting from " + where + " (not a MySQL server, or it is overloaded)",
                    server_error::kServerLost, "HY000");
    }
    const std::size_t length = static_cast<unsigned char>(header[0]) | (static_cast<unsigned char>(header[1]) << 8) |
                               (static_cast<unsigned char>(header[2]) << 16);
    std::string payload(length, '\0');
    if (!read_exactly(sock.get(), payload.data(), length, deadline)) {
      throw DbError("incomplete greeting from " + where, server_error::kServerLost, "HY000");
    }
    if (auto greeting = parse_server_greeting(payload)) return *greeting;
    throw DbError(where + " does not speak the MySQL protocol", server_error::kServerLost, "HY000");
  }
  throw DbError("cannot connect to " + where + ": " + std::strerror(last_errno), server_error::kCannotConnectTcp,
                "HY000");
}

}  // namespace segmentd
