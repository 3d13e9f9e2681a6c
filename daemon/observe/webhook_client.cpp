#include "webhook_client.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <memory>
#include <regex>

#include "errors.h"

namespace segmentd {

namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

WebhookUrl parse_webhook_url(const std::string& url) {
  static const std::regex form(R"(^(https?)://([^/:\s]+|\[[0-9a-fA-F:.]+\])(:([0-9]{1,5}))?(/\S*)?$)");
  std::smatch m;
  if (!std::regex_match(url, m, form)) throw UserError("not an http:// or https:// URL");
  WebhookUrl out;
  out.tls = m[1] == "https";
  out.host = m[2];
  if (!out.host.empty() && out.host.front() == '[') out.host = out.host.substr(1, out.host.size() - 2);
  out.port = m[4].matched ? m[4].str() : (out.tls ? "443" : "80");
  out.target = m[5].matched ? m[5].str() : "/";
  return out;
}

namespace {

// One post: resolve, connect, (handshake), write, read, all under one
// deadline; finish() reports once.
template <typename Stream>
struct Post : std::enable_shared_from_this<Post<Stream>> {
  Post(boost::asio::io_context& loop, Stream s, WebhookUrl u, std::string body, std::chrono::seconds t,
       std::function<void(const WebhookResult&)> d, std::shared_ptr<ssl::context> ctx)
      : resolver(loop), stream(std::move(s)), url(std::move(u)), timeout(t), done(std::move(d)), tls(std::move(ctx)) {
    request.method(http::verb::post);
    request.target(url.target);
    request.version(11);
    request.set(http::field::host, url.host);
    request.set(http::field::user_agent, "segmentd");
    request.set(http::field::content_type, "application/json");
    request.body() = std::move(body);
    request.prepare_payload();
  }

  tcp::resolver resolver;
  Stream stream;
  WebhookUrl url;
  std::chrono::seconds timeout;
  std::function<void(const WebhookResult&)> done;
  std::shared_ptr<ssl::context> tls;  // kept alive with the stream
  http::request<http::string_body> request;
  http::response<http::string_body> response;
  beast::flat_buffer buffer;
  bool finished = false;

  void finish(WebhookResult r) {
    if (finished) return;
    finished = true;
    done(r);
  }
  void fail(const char* step, const beast::error_code& ec) {
    finish({false, 0, std::string(step) + ": " + (ec == beast::error::timeout ? "timed out" : ec.message())});
  }

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream); }

  void start() {
    auto self = this->shared_from_this();
    resolver.async_resolve(url.host, url.port, [self](const beast::error_code& ec, tcp::resolver::results_type r) {
      if (ec) return self->fail("resolve", ec);
      self->lowest().expires_after(self->timeout);
      self->lowest().async_connect(r, [self](const beast::error_code& ec2, const tcp::endpoint&) {
        if (ec2) return self->fail("connect", ec2);
        self->after_connect();
      });
    });
  }

  void after_connect();

  void write() {
    auto self = this->shared_from_this();
    http::async_write(stream, request, [self](const beast::error_code& ec, std::size_t) {
      if (ec) return self->fail("send", ec);
      http::async_read(self->stream, self->buffer, self->response, [self](const beast::error_code& ec2, std::size_t) {
        if (ec2) return self->fail("receive", ec2);
        const unsigned status = self->response.result_int();
        self->finish({status >= 200 && status < 300, status,
                      status >= 200 && status < 300 ? "" : "HTTP " + std::to_string(status)});
        beast::error_code ignored;
        self->lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
      });
    });
  }
};

template <>
void Post<beast::tcp_stream>::after_connect() {
  write();
}

template <>
void Post<beast::ssl_stream<beast::tcp_stream>>::after_connect() {
  auto self = shared_from_this();
  stream.async_handshake(ssl::stream_base::client, [self](const beast::error_code& ec) {
    if (ec) return self->fail("TLS handshake", ec);
    self->write();
  });
}

}  // namespace

void post_webhook(boost::asio::io_context& loop, const WebhookUrl& url, std::string body, const std::string& ca_file,
                  std::chrono::seconds timeout, std::function<void(const WebhookResult&)> done) {
  if (!url.tls) {
    auto p = std::make_shared<Post<beast::tcp_stream>>(loop, beast::tcp_stream(loop), url, std::move(body), timeout,
                                                       std::move(done), nullptr);
    return p->start();
  }
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  ctx->set_verify_mode(ssl::verify_peer, ec);
  if (ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
  } else {
    ctx->load_verify_file(ca_file, ec);
  }
  if (ec) return done({false, 0, "TLS setup: " + ec.message()});
  beast::ssl_stream<beast::tcp_stream> stream(loop, *ctx);
  // SNI, and the host-name check of the peer's certificate.
  // (SSL_set_tlsext_host_name is this call behind a C-style cast.)
  SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
           static_cast<void*>(const_cast<char*>(url.host.c_str())));
  stream.set_verify_callback(ssl::host_name_verification(url.host), ec);
  auto p = std::make_shared<Post<beast::ssl_stream<beast::tcp_stream>>>(loop, std::move(stream), url, std::move(body),
                                                                        timeout, std::move(done), ctx);
  p->start();
}

}  // namespace segmentd
