#include "http_listener.h"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <list>
#include <regex>
#include <sstream>
#include <vector>

#include "errors.h"
#include "log_event.h"

namespace segmentd {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

tcp::endpoint parse_listen_address(const std::string& text, const std::string& key) {
  static const std::regex form(R"(^(\[([0-9a-fA-F:.]+)\]|([0-9.]*)):([0-9]{1,5})$)");
  std::smatch m;
  if (!std::regex_match(text, m, form) || std::stoul(m[4]) > 65535) {
    throw ConfigError(key + ": \"" + text + "\" is not ADDRESS:PORT (e.g. 127.0.0.1:9464, [::1]:9464, :9464)");
  }
  const std::string host = m[2].matched ? m[2].str() : m[3].str();
  boost::system::error_code ec;
  const auto address = host.empty() ? boost::asio::ip::address(boost::asio::ip::address_v6::any())
                                    : boost::asio::ip::make_address(host, ec);
  if (ec) throw ConfigError(key + ": \"" + host + "\" is not an IP address");
  return {address, static_cast<unsigned short>(std::stoul(m[4]))};
}

struct HttpListener::State : std::enable_shared_from_this<HttpListener::State> {
  State(boost::asio::io_context& loop, HttpHandler h, HttpLimits l)
      : acceptor(loop), handler(std::move(h)), limits(l) {}
  tcp::acceptor acceptor;
  HttpHandler handler;
  HttpLimits limits;
  int connections = 0;
  bool stopped = false;

  struct Connection {
    explicit Connection(tcp::socket s) : stream(std::move(s)) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    std::unique_ptr<http::request_parser<http::empty_body>> parser;
    http::response<http::string_body> response;
    bool responding = false;  // a request arrived: never evicted while answered
  };
  // Open connections, oldest first: the eviction order, and closed by
  // stop() so a kept-alive scraper does not hold the loop (and the
  // daemon's exit) for its timeout.
  std::list<std::weak_ptr<Connection>> open;

  void accept() {
    acceptor.async_accept([self = shared_from_this()](const boost::system::error_code& ec, tcp::socket socket) {
      if (self->stopped) return;
      if (!ec) {
        if (self->connections < self->limits.max_connections || self->evict_oldest_idle()) {
          serve(self, std::move(socket));
        } else {
          boost::system::error_code ignored;
          socket.close(ignored);
        }
      }
      self->accept();
    });
  }

  // Closes the oldest connection waiting for a request; false when every
  // one is being answered.
  bool evict_oldest_idle() {
    std::erase_if(open, [](const auto& w) { return w.expired(); });
    for (const auto& w : open) {
      const auto c = w.lock();
      if (!c || c->responding) continue;
      boost::system::error_code ignored;
      c->stream.socket().close(ignored);  // its read ends; it is freed then
      open.remove_if([&](const auto& other) { return other.lock() == c; });
      return true;
    }
    return false;
  }

  static void serve(const std::shared_ptr<State>& self, tcp::socket socket) {
    ++self->connections;
    auto c = std::shared_ptr<Connection>(new Connection(std::move(socket)), [self](Connection* p) {
      --self->connections;
      delete p;
    });
    std::erase_if(self->open, [](const auto& w) { return w.expired(); });
    self->open.push_back(c);
    read(self, c);
  }

  static void read(const std::shared_ptr<State>& self, const std::shared_ptr<Connection>& c) {
    c->responding = false;
    c->parser = std::make_unique<http::request_parser<http::empty_body>>();
    c->parser->header_limit(static_cast<std::uint32_t>(self->limits.max_request_bytes));
    c->parser->body_limit(0);
    c->stream.expires_after(self->limits.request_timeout);
    http::async_read(c->stream, c->buffer, *c->parser, [self, c](const beast::error_code& ec, std::size_t) {
      if (ec || self->stopped) return;  // closed, timed out, evicted or too large: drop it
      c->responding = true;
      respond(self, c);
    });
  }

  static void respond(const std::shared_ptr<State>& self, const std::shared_ptr<Connection>& c) {
    const auto& req = c->parser->get();
    const std::string target(req.target());
    const auto q = target.find('?');
    HttpRequest request{std::string(req.method_string()), target.substr(0, q),
                        q == std::string::npos ? "" : target.substr(q + 1)};
    HttpResponse answer;
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      answer = {405, "text/plain; charset=utf-8", "only GET and HEAD\n"};
    } else {
      try {
        answer = self->handler(request);
      } catch (const std::exception& e) {
        answer = {500, "text/plain; charset=utf-8", std::string("error: ") + e.what() + "\n"};
      }
    }
    c->response = {};
    c->response.version(req.version());
    c->response.result(answer.status);
    c->response.set(http::field::server, "segmentd");
    c->response.set(http::field::content_type, answer.content_type);
    c->response.set(http::field::cache_control, "no-store");
    c->response.keep_alive(req.keep_alive());
    if (req.method() != http::verb::head) c->response.body() = std::move(answer.body);
    c->response.prepare_payload();
    if (req.method() == http::verb::head) c->response.content_length(answer.body.size());
    c->stream.expires_after(self->limits.write_timeout);
    http::async_write(c->stream, c->response, [self, c](const beast::error_code& ec, std::size_t) {
      if (ec || self->stopped) return;
      if (!c->response.keep_alive()) {
        beast::error_code ignored;
        c->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        return;
      }
      read(self, c);
    });
  }
};

HttpListener::HttpListener(boost::asio::io_context& loop, const tcp::endpoint& where, HttpHandler handler,
                           HttpLimits limits)
    : state_(std::make_shared<State>(loop, std::move(handler), limits)) {
  boost::system::error_code ec;
  const auto fail = [&](const char* what) {
    std::ostringstream addr;
    addr << where;
    throw IoError("observability.listen " + addr.str() + ": cannot " + what + ": " + ec.message(), ec.value());
  };
  state_->acceptor.open(where.protocol(), ec);
  if (ec) fail("open");
  state_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (where.address().is_v6()) state_->acceptor.set_option(boost::asio::ip::v6_only(false), ec);
  state_->acceptor.bind(where, ec);
  if (ec) fail("bind");
  state_->acceptor.listen(limits.max_connections, ec);
  if (ec) fail("listen");
  state_->accept();
}

HttpListener::~HttpListener() {
  stop();
}

void HttpListener::stop() {
  if (state_->stopped) return;
  state_->stopped = true;
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
  for (const auto& w : state_->open) {
    if (auto c = w.lock()) c->stream.socket().close(ignored);
  }
  state_->open.clear();
}

tcp::endpoint HttpListener::local_endpoint() const {
  boost::system::error_code ec;
  return state_->acceptor.local_endpoint(ec);
}

}  // namespace segmentd
