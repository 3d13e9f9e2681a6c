#pragma once
// Posts a JSON body to an http:// or https:// URL, asynchronously on the
// daemon's loop, so a receiver that hangs never holds up a load or a
// refresh: each post has its own deadline and reports to a callback.
// https verifies the peer (system CAs, or a CA file) and the host name.

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <string>

namespace segmentd {

struct WebhookUrl {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;  // path and query, "/" when empty
};

// Parses http(s)://host[:port][/path]. Throws UserError (without the URL,
// which may hold a token).
WebhookUrl parse_webhook_url(const std::string& url);

struct WebhookResult {
  bool ok = false;
  unsigned status = 0;  // HTTP status when one came back
  std::string error;    // what went wrong otherwise
};

// POSTs `body` (application/json); `done` runs on the loop exactly once.
void post_webhook(boost::asio::io_context& loop, const WebhookUrl& url, std::string body, const std::string& ca_file,
                  std::chrono::seconds timeout, std::function<void(const WebhookResult&)> done);

}  // namespace segmentd
