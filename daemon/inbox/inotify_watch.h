#pragma once
// inotify on the event loop: reports names closed after writing or moved
// into one folder. It is only a hint to look sooner; the periodic rescan is
// what guarantees nothing is missed (network mounts, queue overflow).

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <filesystem>
#include <functional>
#include <string>

namespace segmentd {

class InotifyWatch {
 public:
  // `on_change(name, moved_in)`; name is empty on queue overflow (rescan
  // everything). `moved_in` is true when the name was renamed into the folder.
  using Callback = std::function<void(const std::string& name, bool moved_in)>;
  // The watched folder itself was deleted or moved away: this watch sees
  // nothing more ("deleted" or "moved"). Called once; the owner replaces
  // the watch when the folder is back (not from inside the callback).
  using GoneCallback = std::function<void(const char* why)>;

  // Throws std::system_error when the folder cannot be watched.
  InotifyWatch(boost::asio::io_context& io, const std::filesystem::path& dir, Callback on_change,
               GoneCallback on_gone);
  ~InotifyWatch();
  InotifyWatch(const InotifyWatch&) = delete;
  InotifyWatch& operator=(const InotifyWatch&) = delete;

 private:
  void read_more();

  boost::asio::posix::stream_descriptor stream_;
  Callback on_change_;
  GoneCallback on_gone_;
  bool gone_ = false;
  alignas(8) std::array<char, 16384> buffer_{};
};

}  // namespace segmentd
