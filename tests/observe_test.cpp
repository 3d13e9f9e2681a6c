// The Prometheus registry's exposition text, the daemon's series from
// start-up, the HTTP listener on a real loop and socket, and the config.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <thread>

#include "config.h"
#include "daemon_metrics.h"
#include "errors.h"
#include "http_listener.h"
#include "metrics.h"

namespace segmentd {
namespace {

TEST(Metrics, RendersHelpTypeLabelsAndEscapes) {
  Metrics m;
  m.define("t_files_total", MetricType::Counter, "Files.\nSecond line", {"dataset", "status"});
  m.add("t_files_total", {"orders", "loaded"});
  m.add("t_files_total", {"orders", "loaded"}, 2);
  m.touch("t_files_total", {"a \"quoted\" \\ name\n", "failed"});
  m.define("t_ratio", MetricType::Gauge, "A ratio.");
  m.set("t_ratio", {}, 0.25);
  const std::string text = m.render();
  EXPECT_NE(text.find("# HELP t_files_total Files.\\nSecond line\n# TYPE t_files_total counter\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("t_files_total{dataset=\"orders\",status=\"loaded\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("t_files_total{dataset=\"a \\\"quoted\\\" \\\\ name\\n\",status=\"failed\"} 0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE t_ratio gauge\nt_ratio 0.25\n"), std::string::npos) << text;
  EXPECT_EQ(m.value("t_files_total", {"orders", "loaded"}), 3);
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Metrics m;
  m.define("t_seconds", MetricType::Histogram, "Durations.", {"kind"}, {1, 10});
  for (double v : {0.5, 0.5, 5.0, 100.0}) m.observe("t_seconds", {"refresh"}, v);
  const std::string text = m.render();
  EXPECT_NE(text.find("t_seconds_bucket{kind=\"refresh\",le=\"1\"} 2\n"
                      "t_seconds_bucket{kind=\"refresh\",le=\"10\"} 3\n"
                      "t_seconds_bucket{kind=\"refresh\",le=\"+Inf\"} 4\n"
                      "t_seconds_sum{kind=\"refresh\"} 106\n"
                      "t_seconds_count{kind=\"refresh\"} 4\n"),
            std::string::npos)
      << text;
}

TEST(Metrics, MisuseIsAProgrammingError) {
  Metrics m;
  m.define("t_x", MetricType::Gauge, "x", {"a"});
  EXPECT_THROW(m.define("t_x", MetricType::Gauge, "again"), std::logic_error);
  EXPECT_THROW(m.set("t_x", {}, 1), std::logic_error);  // label count
  EXPECT_THROW(m.set("t_y", {}, 1), std::logic_error);  // undefined
  EXPECT_EQ(format_sample(1e20), "1e+20");
  EXPECT_EQ(format_sample(-3), "-3");
}

TEST(DaemonMetrics, PredictionsShowTheFitOnlyWhenPublished) {
  DaemonMetrics d("9.9.9", {}, {}, 0);
  EXPECT_NE(d.render().find("segmentd_predictions_available 0\n"), std::string::npos);
  PredictionOutcome p;
  p.status = PredictionStatus::Available;
  p.bgnbd.params = {0.243, 30.9, 0.793, 2.426};
  p.bgnbd.report.log_likelihood = -14363.5;
  p.spend.params = {6.25, 3.74, 15.44};
  d.predictions(p);
  EXPECT_EQ(d.metrics().value("segmentd_predictions_available", {}), 1);
  EXPECT_EQ(d.metrics().value("segmentd_prediction_parameter", {"bgnbd", "alpha"}), 30.9);
  EXPECT_EQ(d.metrics().value("segmentd_prediction_parameter", {"gammagamma", "gamma"}), 15.44);
  EXPECT_EQ(d.metrics().value("segmentd_prediction_log_likelihood", {"bgnbd"}), -14363.5);
  // Unavailable: the flag drops, the last published fit stays; busy says nothing.
  p.status = PredictionStatus::Unavailable;
  p.bgnbd.params.alpha = 99;
  d.predictions(p);
  EXPECT_EQ(d.metrics().value("segmentd_predictions_available", {}), 0);
  EXPECT_EQ(d.metrics().value("segmentd_prediction_parameter", {"bgnbd", "alpha"}), 30.9);
  p.status = PredictionStatus::Busy;
  d.predictions(p);
  EXPECT_EQ(d.metrics().value("segmentd_predictions_available", {}), 0);
}

TEST(DaemonMetrics, EverySeriesExistsFromStartUpAndMoves) {
  DaemonMetrics d("9.9.9", {"daily", "hourly"}, {"orders", "unknown"}, 1700000000);
  const std::string start = d.render();
  for (const char* series :
       {"segmentd_build_info{version=\"9.9.9\"} 1", "segmentd_up 1", "segmentd_database_up 0",
        "segmentd_database_reconnects_total 0",
        "segmentd_runs_total{kind=\"refresh\",trigger=\"schedule\",status=\"failed\"} 0",
        "segmentd_runs_total{kind=\"ingest\",trigger=\"file\",status=\"succeeded\"} 0",
        "segmentd_run_duration_seconds_count{kind=\"refresh\"} 0",
        "segmentd_last_success_timestamp_seconds{kind=\"ingest\"} 0", "segmentd_running{kind=\"refresh\"} 0",
        "segmentd_files_total{dataset=\"orders\",status=\"quarantined\"} 0",
        "segmentd_rows_rejected_total{dataset=\"unknown\"} 0", "segmentd_inbox_files 0",
        "segmentd_schedule_next_run_timestamp_seconds{schedule=\"hourly\"} 0", "segmentd_worker_stuck 0",
        "segmentd_start_time_seconds 1700000000"}) {
    EXPECT_NE(start.find(std::string(series) + "\n"), std::string::npos) << series;
  }
  d.run_started(RunKind::Refresh);
  EXPECT_EQ(d.metrics().value("segmentd_running", {"refresh"}), 1);
  d.run_finished(RunKind::Refresh, "schedule", RunStatus::Succeeded, 2.5, 1700000100);
  EXPECT_EQ(d.metrics().value("segmentd_running", {"refresh"}), 0);
  EXPECT_EQ(d.metrics().value("segmentd_runs_total", {"refresh", "schedule", "succeeded"}), 1);
  EXPECT_EQ(d.metrics().value("segmentd_last_success_timestamp_seconds", {"refresh"}), 1700000100);
  d.run_finished(RunKind::Refresh, "schedule", RunStatus::Failed, 1, 1700000200);
  EXPECT_EQ(d.metrics().value("segmentd_last_success_timestamp_seconds", {"refresh"}), 1700000100);
  d.file_finished("orders", FileStatus::Loaded, 10, 2);
  EXPECT_EQ(d.metrics().value("segmentd_rows_loaded_total", {"orders"}), 10);
  EXPECT_EQ(d.metrics().value("segmentd_rows_rejected_total", {"orders"}), 2);
  d.segments({{"Champions", 3}, {"Lost Customers", 4}});
  EXPECT_EQ(d.metrics().value("segmentd_customers_segmented"), 7);
}

// One request on a raw socket, the whole answer back.
std::string fetch(unsigned short port, const std::string& request) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket s(io);
  s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  boost::asio::write(s, boost::asio::buffer(request));
  std::string out;
  boost::system::error_code ec;
  char buf[4096];
  while (std::size_t n = s.read_some(boost::asio::buffer(buf), ec)) {
    out.append(buf, n);
    if (ec) break;
  }
  return out;
}

TEST(HttpListener, ServesTheHandlerAndRefusesWhatItShouldNot) {
  boost::asio::io_context loop;
  HttpListener listener(loop, parse_listen_address("127.0.0.1:0", "t"), [](const HttpRequest& r) {
    if (r.path == "/boom") throw std::runtime_error("handler failed");
    return HttpResponse{r.path == "/ok" ? 200u : 404u, "text/plain", r.path + "|" + r.query};
  });
  const unsigned short port = listener.local_endpoint().port();
  std::thread server([&] { loop.run(); });
  const std::string ok = fetch(port, "GET /ok?verbose HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(ok.find("HTTP/1.1 200 OK"), std::string::npos) << ok;
  EXPECT_NE(ok.find("\r\n\r\n/ok|verbose"), std::string::npos) << ok;
  EXPECT_NE(ok.find("Cache-Control: no-store"), std::string::npos) << ok;
  EXPECT_NE(fetch(port, "GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").find("404"), std::string::npos);
  EXPECT_NE(fetch(port, "POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").find("405"),
            std::string::npos);
  EXPECT_NE(fetch(port, "GET /boom HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").find("500"), std::string::npos);
  const std::string head = fetch(port, "HEAD /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(head.find("200 OK"), std::string::npos);
  EXPECT_EQ(head.find("/ok|"), std::string::npos) << head;  // no body for HEAD
  // A header over 8 KiB is dropped without an answer, and the server lives on.
  EXPECT_EQ(fetch(port, "GET /ok HTTP/1.1\r\nX: " + std::string(20000, 'a') + "\r\n\r\n").find("200"),
            std::string::npos);
  EXPECT_NE(fetch(port, "GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").find("200"), std::string::npos);
  boost::asio::post(loop, [&] { listener.stop(); });
  server.join();  // stop() leaves the loop nothing to do: it returns
}

// Issue 39 item 10: idle connections once held every slot for as long as
// the attacker wanted. Now a connection that sends no request is closed
// after the request timeout...
TEST(HttpListener, AConnectionThatSendsNoRequestIsClosed) {
  boost::asio::io_context loop;
  HttpLimits limits;
  limits.request_timeout = std::chrono::milliseconds(200);
  HttpListener listener(
      loop, parse_listen_address("127.0.0.1:0", "t"), [](const HttpRequest&) { return HttpResponse{}; }, limits);
  std::thread server([&] { loop.run(); });
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket idle(io);
  idle.connect(listener.local_endpoint());
  const auto start = std::chrono::steady_clock::now();
  char byte;
  boost::system::error_code ec;
  idle.read_some(boost::asio::buffer(&byte, 1), ec);  // blocks until the server closes it
  EXPECT_EQ(ec, boost::asio::error::eof);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  boost::asio::post(loop, [&] { listener.stop(); });
  server.join();
}

// ... and at the limit a new connection evicts the oldest idle one instead
// of being refused, so a request still gets its answer.
TEST(HttpListener, IdleConnectionsAtTheLimitDoNotStarveARequest) {
  boost::asio::io_context loop;
  HttpLimits limits;
  limits.max_connections = 4;
  limits.request_timeout = std::chrono::seconds(60);  // only eviction can free a slot
  HttpListener listener(
      loop, parse_listen_address("127.0.0.1:0", "t"),
      [](const HttpRequest& r) {
        return HttpResponse{200, "text/plain", r.path};
      },
      limits);
  std::thread server([&] { loop.run(); });
  boost::asio::io_context io;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::socket>> idle;
  for (int i = 0; i < 8; ++i) {
    idle.push_back(std::make_unique<boost::asio::ip::tcp::socket>(io));
    idle.back()->connect(listener.local_endpoint());
  }
  const std::string ok =
      fetch(listener.local_endpoint().port(), "GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(ok.find("HTTP/1.1 200 OK"), std::string::npos) << ok;
  char byte;
  boost::system::error_code ec;
  idle.front()->read_some(boost::asio::buffer(&byte, 1), ec);  // the oldest was evicted
  EXPECT_EQ(ec, boost::asio::error::eof);
  boost::asio::post(loop, [&] { listener.stop(); });
  server.join();
}

TEST(HttpListener, AddressesAndABusyPort) {
  EXPECT_EQ(parse_listen_address(":9464", "k").port(), 9464);
  EXPECT_TRUE(parse_listen_address("[::1]:80", "k").address().is_v6());
  EXPECT_THROW(parse_listen_address("localhost:9464", "k"), ConfigError);
  EXPECT_THROW(parse_listen_address("1.2.3.4:99999", "k"), ConfigError);
  boost::asio::io_context loop;
  HttpListener first(loop, parse_listen_address("127.0.0.1:0", "k"), [](const HttpRequest&) { return HttpResponse{}; });
  try {
    HttpListener second(loop, first.local_endpoint(), [](const HttpRequest&) { return HttpResponse{}; });
    FAIL() << "bound a port twice";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("observability.listen 127.0.0.1:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cannot bind"), std::string::npos) << e.what();
  }
}

TEST(ObservabilityConfig, DefaultsAndChecks) {
  const Config d = parse_config("database: {}\n", "t.yaml");
  EXPECT_EQ(d.observability.listen, "127.0.0.1:9464");
  EXPECT_TRUE(d.observability.textfile.empty());
  const Config off = parse_config("database: {}\nobservability:\n  listen: \"\"\n", "t.yaml");
  EXPECT_TRUE(off.observability.listen.empty());
  const auto error_of = [](const std::string& yaml) {
    try {
      parse_config("database: {}\nobservability:\n" + yaml, "t.yaml");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error_of("  listen: localhost\n").find("observability.listen"), std::string::npos);
  EXPECT_NE(error_of("  textfile: rel/x.prom\n").find("must be an absolute path"), std::string::npos);
  EXPECT_NE(error_of("  textfile: /var/lib/x.txt\n").find("must end in .prom"), std::string::npos);
  EXPECT_NE(error_of("  stuck_after_seconds: 1\n").find("stuck_after_seconds"), std::string::npos);
}

}  // namespace
}  // namespace segmentd
