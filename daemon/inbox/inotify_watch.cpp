#include "inotify_watch.h"

#include <sys/inotify.h>

#include <boost/asio/buffer.hpp>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace segmentd {
namespace {

int open_inotify(const std::filesystem::path& dir) {
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "inotify_init1");
  if (::inotify_add_watch(fd, dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR) < 0) {
    const int saved = errno;
    ::close(fd);
    throw std::system_error(saved, std::generic_category(), "inotify_add_watch " + dir.string());
  }
  return fd;
}

}  // namespace

InotifyWatch::InotifyWatch(boost::asio::io_context& io, const std::filesystem::path& dir, Callback on_change,
                           GoneCallback on_gone)
    : stream_(io, open_inotify(dir)), on_change_(std::move(on_change)), on_gone_(std::move(on_gone)) {
  read_more();
}

InotifyWatch::~InotifyWatch() {
  boost::system::error_code ignored;
  stream_.cancel(ignored);
  stream_.close(ignored);
}

void InotifyWatch::read_more() {
  stream_.async_read_some(boost::asio::buffer(buffer_), [this](const boost::system::error_code& ec, std::size_t n) {
    if (ec == boost::asio::error::operation_aborted) return;
    if (ec) {
      on_change_("", false);  // treat as overflow: the caller rescans
      return;
    }
    for (std::size_t offset = 0; offset + sizeof(inotify_event) <= n;) {
      inotify_event event;
      std::memcpy(&event, buffer_.data() + offset, sizeof event);
      std::string name;
      if (event.len > 0) name.assign(buffer_.data() + offset + sizeof(inotify_event));
      offset += sizeof(inotify_event) + event.len;
      if (event.mask & IN_Q_OVERFLOW) {
        on_change_("", false);
      } else if (event.mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
        // A moved folder is still watched, under a name that is no longer
        // the inbox; a deleted one ends the watch (IN_IGNORED follows).
        if (gone_) continue;
        gone_ = true;
        on_gone_((event.mask & IN_MOVE_SELF) ? "moved" : "deleted");
        return;  // the owner replaces this watch; nothing more is read
      } else if (!name.empty()) {
        on_change_(name, (event.mask & IN_MOVED_TO) != 0);
      }
    }
    read_more();
  });
}

}  // namespace segmentd
