// /metrics, /livez and /readyz on the daemon's loop, the textfile, and the
// liveness rule the systemd watchdog shares.
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "controller.h"
#include "durable_file.h"
#include "errors.h"
#include "report.h"

namespace segmentd {

using SteadyClock = std::chrono::steady_clock;

namespace {
double seconds_of(SteadyClock::duration d) {
  return std::chrono::duration<double>(d).count();
}
}  // namespace

void Controller::start_listener() {
  if (config_.observability.listen.empty()) return;
  const auto where = parse_listen_address(config_.observability.listen, "observability.listen");
  listener_ = std::make_unique<HttpListener>(io_, where, [this](const HttpRequest& r) { return serve(r); });
  std::ostringstream bound;
  bound << listener_->local_endpoint();
  log_event(spdlog::level::info, "observe.listening", {{"address", bound.str()}});
}

bool Controller::worker_stuck() const {
  const auto running = worker_.running_for();
  return running && *running > std::chrono::seconds(config_.observability.stuck_after_seconds);
}

void Controller::refresh_gauges() {
  const auto now = clock_.steady_now();
  const auto oldest = queue_.oldest_found();
  metrics_.inbox(queue_.size(), oldest ? seconds_of(now - *oldest) : 0);
  const auto running = worker_.running_for();
  metrics_.worker(worker_stuck(), running ? seconds_of(*running) : 0);
  metrics_.refresh_waiting(refresh_.waiting().has_value());
}

void Controller::metrics_changed() {
  if (config_.observability.textfile.empty()) return;
  refresh_gauges();
  try {
    // node_exporter runs as another user and must read it; no customer data.
    write_file_atomically(config_.observability.textfile, metrics_.render(), 0644);
  } catch (const IoError& e) {
    log_event(spdlog::level::warn, "observe.textfile_failed", {{"error", e.what()}});
  }
}

std::string Controller::readiness(bool verbose, bool& ready) const {
  std::ostringstream out;
  ready = true;
  const auto check = [&](const char* name, bool ok, const std::string& why) {
    if (!ok) ready = false;
    if (verbose || !ok) out << (ok ? "[+] " : "[-] ") << name << (ok ? " ok" : " failed: " + why) << "\n";
  };
  // Connected means the set-up passed: the schema is current (a schema that
  // needs a migrate stops the daemon) and this daemon holds its lock.
  check("database", link_.is_connected(),
        link_.in_outage() ? "unreachable or lost; reconnecting" : "not connected yet");
  check("inbox", ::access(config_.inbox.path.c_str(), W_OK) == 0, config_.inbox.path.string() + " is not writable");
  if (verbose) out << (ready ? "ready\n" : "not ready\n");
  return out.str();
}

HttpResponse Controller::serve(const HttpRequest& request) {
  const bool verbose = request.query == "verbose" || request.query.rfind("verbose=", 0) == 0;
  if (request.path == "/metrics") {
    refresh_gauges();
    return {200, "text/plain; version=0.0.4; charset=utf-8", metrics_.render()};
  }
  if (request.path == "/livez") {
    // Answering at all shows the loop runs; the worker must not be stuck.
    const auto running = worker_.running_for();
    if (worker_stuck()) {
      return {503, "text/plain; charset=utf-8",
              "[-] worker failed: a job has run for " + std::to_string(static_cast<long>(seconds_of(*running))) +
                  " s, over observability.stuck_after_seconds (" +
                  std::to_string(config_.observability.stuck_after_seconds) + ")\n"};
    }
    return {200, "text/plain; charset=utf-8", verbose ? "[+] loop ok\n[+] worker ok\nlive\n" : "ok\n"};
  }
  if (request.path == "/readyz") {
    bool ready = false;
    const std::string body = readiness(verbose, ready);
    return {ready ? 200u : 503u, "text/plain; charset=utf-8", ready && !verbose ? "ok\n" : body};
  }
  if (request.path == "/report") {
    // The file the last successful refresh wrote (at most a few hundred KB,
    // read from disk, never from the database).
    if (config_.exports.dir.empty()) {
      return {404, "text/plain; charset=utf-8", "no report: exports.dir is not set\n"};
    }
    std::ifstream in(config_.exports.dir / kReportFileName, std::ios::binary);
    if (!in) return {404, "text/plain; charset=utf-8", "no report yet: no refresh has written one\n"};
    std::ostringstream body;
    body << in.rdbuf();
    return {200, "text/html; charset=utf-8", body.str()};
  }
  return {404, "text/plain; charset=utf-8", "not found; try /metrics, /livez, /readyz or /report\n"};
}

}  // namespace segmentd
