#pragma once
// A small HTTP/1.1 server (Boost.Beast) on the daemon's own Asio loop, for
// /metrics, /livez and /readyz. A handler runs on the loop and answers from
// state the daemon already holds, so a request never waits on the database.
// Requests are bounded (HttpLimits). Idle connections cannot starve it: one
// that sends no complete request within the request timeout is closed, and
// at the connection limit a new connection evicts the oldest idle one
// rather than being refused, so /livez answers under such a flood.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace segmentd {

struct HttpRequest {
  std::string method;  // GET, HEAD, ...
  std::string path;    // without the query
  std::string query;   // after '?', may be empty
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpLimits {
  std::size_t max_request_bytes = 8 * 1024;
  // To send a complete request: the first, or the next on a kept-alive
  // connection (a scraper reconnects; an attacker's idle socket goes).
  std::chrono::milliseconds request_timeout{3000};
  std::chrono::milliseconds write_timeout{10000};
  int max_connections = 32;
};

// "127.0.0.1:9464", "[::1]:9464" or ":9464" (every address). Throws
// ConfigError naming `key` when it is not an address and port.
boost::asio::ip::tcp::endpoint parse_listen_address(const std::string& text, const std::string& key);

class HttpListener {
 public:
  // Binds at once (throws IoError naming the address when it cannot) and
  // serves until destroyed or stop().
  HttpListener(boost::asio::io_context& loop, const boost::asio::ip::tcp::endpoint& where, HttpHandler handler,
               HttpLimits limits = {});
  ~HttpListener();
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  void stop();
  // The address really bound (port 0 picks a free one).
  boost::asio::ip::tcp::endpoint local_endpoint() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace segmentd
