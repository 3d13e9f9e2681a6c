#include "config.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <regex>
#include <set>
#include <sstream>

#include "cron_schedule.h"
#include "errors.h"
#include "yaml_section.h"

namespace segmentd {
namespace {

// YYYY-MM-DD naming a day that exists (not 2024-13-45 or 2023-02-29).
bool is_calendar_date(const std::string& text) {
  if (!std::regex_match(text, std::regex("[0-9]{4}-[0-9]{2}-[0-9]{2}"))) return false;
  const std::chrono::year_month_day day{std::chrono::year{std::stoi(text.substr(0, 4))},
                                        std::chrono::month{static_cast<unsigned>(std::stoi(text.substr(5, 2)))},
                                        std::chrono::day{static_cast<unsigned>(std::stoi(text.substr(8, 2)))}};
  return day.ok();
}

// A cron expression (under `key`) and its time zone (under "timezone") that
// parse and fire at least once.
void check_cron(const YamlSection& section, const std::string& key, const std::string& cron,
                const std::string& timezone) {
  try {
    parse_cron(cron);
  } catch (const std::invalid_argument& e) {
    section.fail(key, e.what());
  }
  try {
    CronSchedule probe(cron, timezone);
    if (!probe.next_after(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()))) {
      section.fail(key, "\"" + cron + "\" never fires");
    }
  } catch (const std::invalid_argument& e) {
    section.fail("timezone", e.what());
  }
}

// "host", "host:port" or "[v6-address]:port"; the port defaults to `port`.
// "30s", "5m", "4h" or "1d", in seconds.
unsigned read_duration(YamlSection& section, const std::string& key, unsigned fallback) {
  if (!section.has(key)) return fallback;
  std::string text;
  section.read(key, text);
  std::smatch m;
  if (!std::regex_match(text, m, std::regex("([0-9]{1,6})([smhd])"))) {
    section.fail(key, "expected a number with s, m, h or d (e.g. 30s, 5m, 4h, 1d), got \"" + text + "\"");
  }
  const std::uint64_t n = std::stoull(m[1]);
  const char unit = m[2].str()[0];
  const std::uint64_t seconds = n * (unit == 's' ? 1u : unit == 'm' ? 60u : unit == 'h' ? 3600u : 86400u);
  // Computed wide and refused when it does not fit: "49711d" used to wrap to
  // 17.5 hours without a word.
  constexpr std::uint64_t kMax = std::numeric_limits<unsigned>::max();
  if (seconds > kMax) {
    section.fail(key, "\"" + text + "\" is too long: at most " + std::to_string(kMax) + " s (" +
                          std::to_string(kMax / 86400) + "d)");
  }
  return static_cast<unsigned>(seconds);
}

DatabaseEndpoint parse_endpoint(const YamlSection& section, const std::string& text, unsigned default_port) {
  DatabaseEndpoint out{text, default_port};
  std::string port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos) section.fail("hosts", "\"" + text + "\": missing ]");
    out.host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') section.fail("hosts", "\"" + text + "\": expected :port after ]");
      port_text = text.substr(close + 2);
    }
  } else if (const auto colon = text.rfind(':'); colon != std::string::npos) {
    if (text.find(':') != colon) section.fail("hosts", "\"" + text + "\": write an IPv6 address as [address]:port");
    out.host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  if (out.host.empty()) section.fail("hosts", "\"" + text + "\": empty host");
  if (!port_text.empty() || text.back() == ':') {
    if (!std::regex_match(port_text, std::regex("[0-9]{1,5}")) || std::stoul(port_text) < 1 ||
        std::stoul(port_text) > 65535) {
      section.fail("hosts", "\"" + text + "\": port must be 1..65535");
    }
    out.port = static_cast<unsigned>(std::stoul(port_text));
  }
  return out;
}

TlsConfig read_tls(YamlSection section) {
  TlsConfig tls;
  std::string mode = to_string(tls.mode);
  section.read("mode", mode);
  section.read("ca", tls.ca);
  section.read("cert", tls.cert);
  section.read("key", tls.key);
  section.read("min_version", tls.min_version);
  section.finish();
  static const std::pair<const char*, TlsMode> kModes[] = {{"disabled", TlsMode::Disabled},
                                                           {"preferred", TlsMode::Preferred},
                                                           {"required", TlsMode::Required},
                                                           {"verify_ca", TlsMode::VerifyCa},
                                                           {"verify_identity", TlsMode::VerifyIdentity}};
  bool known = false;
  for (const auto& [name, value] : kModes) {
    if (mode == name) {
      tls.mode = value;
      known = true;
    }
  }
  if (!known) {
    section.fail("mode", "must be disabled, preferred, required, verify_ca or verify_identity, got \"" + mode + "\"");
  }
  if (tls.min_version != "TLSv1.2" && tls.min_version != "TLSv1.3") {
    section.fail("min_version", "must be TLSv1.2 or TLSv1.3, got \"" + tls.min_version + "\"");
  }
  if (tls.mode == TlsMode::Disabled && (!tls.ca.empty() || !tls.cert.empty() || !tls.key.empty())) {
    section.fail("mode", "is disabled, so ca, cert and key would not be used");
  }
  // With a CA, the client library checks the chain whatever the mode: a
  // CA under `required` would silently mean verify_ca.
  if (!tls.ca.empty() && tls.mode != TlsMode::VerifyCa && tls.mode != TlsMode::VerifyIdentity) {
    section.fail("ca", "is only used by verify_ca and verify_identity (mode " + mode + " does not check the server)");
  }
  if (tls.cert.empty() != tls.key.empty()) section.fail(tls.cert.empty() ? "cert" : "key", "cert and key go together");
  return tls;
}

DatabaseConfig read_database(YamlSection section) {
  DatabaseConfig db;
  section.read("host", db.host);
  section.read("port", db.port, 1, 65535);
  std::vector<std::string> hosts;
  const bool has_hosts = section.has("hosts");
  section.read("hosts", hosts);
  section.read("socket", db.socket);
  if (section.has("tls")) db.tls = read_tls(section.section("tls"));
  section.read("server_public_key", db.server_public_key);
  section.read("get_server_public_key", db.get_server_public_key);
  section.read("user", db.user);
  section.read("password_file", db.password_file);
  section.read("password_env", db.password_env);
  section.read("database", db.database);
  section.read("connect_timeout_seconds", db.connect_timeout_seconds, 1, 3600);
  section.read("reconnect_initial_seconds", db.reconnect_initial_seconds, 1, 3600);
  section.read("reconnect_max_seconds", db.reconnect_max_seconds, 1, 86400);
  section.read("read_timeout_seconds", db.read_timeout_seconds, 1, 86400);
  section.read("write_timeout_seconds", db.write_timeout_seconds, 1, 86400);
  if (section.has("password")) {
    section.fail("password", "passwords do not belong in the config; use password_file or password_env");
  }
  section.finish();
  if (db.user.empty()) section.fail("user", "must not be empty");
  if (db.database.empty()) section.fail("database", "must not be empty");
  if (!db.password_file.empty() && !db.password_env.empty()) {
    section.fail("password_env", "set password_file or password_env, not both");
  }
  if (db.reconnect_max_seconds < db.reconnect_initial_seconds) {
    section.fail("reconnect_max_seconds", "must not be less than reconnect_initial_seconds");
  }
  if (has_hosts) {
    if (section.has("host")) section.fail("hosts", "set host or hosts, not both");
    if (!db.socket.empty()) section.fail("hosts", "set socket or hosts, not both");
    if (hosts.empty()) section.fail("hosts", "must list at least one host");
    for (const auto& h : hosts) db.hosts.push_back(parse_endpoint(section, h, db.port));
  }
  if (!db.server_public_key.empty() && db.get_server_public_key) {
    section.fail("get_server_public_key", "set server_public_key or get_server_public_key, not both");
  }
  return db;
}

IngestConfig read_ingest(YamlSection section) {
  IngestConfig ingest;
  section.read("max_rejected_rows", ingest.max_rejected_rows, 0, 1000000000);
  section.read("allow_empty_replace", ingest.allow_empty_replace);
  std::string path = "auto";
  section.read("load_path", path);
  if (path == "auto") {
    ingest.load_path = LoadPath::Auto;
  } else if (path == "load_data") {
    ingest.load_path = LoadPath::LoadData;
  } else if (path == "insert") {
    ingest.load_path = LoadPath::Insert;
  } else {
    section.fail("load_path", "must be auto, load_data or insert, got \"" + path + "\"");
  }
  section.finish();
  return ingest;
}

InboxConfig read_inbox(YamlSection section) {
  InboxConfig inbox;
  std::string path, processed, quarantine;
  section.read("path", path);
  section.read("processed", processed);
  section.read("quarantine", quarantine);
  section.read("settle_seconds", inbox.settle_seconds, 0, 86400);
  section.read("rescan_seconds", inbox.rescan_seconds, 1, 86400);
  section.read("ignore", inbox.ignore);
  section.finish();
  inbox.path = path;
  if (!path.empty() && inbox.path.is_relative()) section.fail("path", "must be an absolute path");
  inbox.processed = processed;
  inbox.quarantine = quarantine;
  if (processed.empty() && !path.empty()) inbox.processed = inbox.path / "processed";
  if (quarantine.empty() && !path.empty()) inbox.quarantine = inbox.path / "quarantine";
  if (!processed.empty() && inbox.processed.is_relative()) section.fail("processed", "must be an absolute path");
  if (!quarantine.empty() && inbox.quarantine.is_relative()) section.fail("quarantine", "must be an absolute path");
  if (!path.empty() && inbox.processed == inbox.quarantine) {
    section.fail("quarantine", "must differ from inbox.processed");
  }
  if (!path.empty() && (inbox.processed == inbox.path || inbox.quarantine == inbox.path)) {
    section.fail(inbox.processed == inbox.path ? "processed" : "quarantine", "must differ from inbox.path");
  }
  for (const auto& pattern : inbox.ignore) {
    if (pattern.empty()) section.fail("ignore", "patterns must not be empty");
  }
  return inbox;
}

RefreshConfig read_refresh(YamlSection section) {
  RefreshConfig refresh;
  section.read("after_ingest", refresh.after_ingest);
  section.read("debounce_seconds", refresh.debounce_seconds, 0, 86400);
  section.read("full_schedule", refresh.full_schedule);
  if (!refresh.full_schedule.empty()) check_cron(section, "full_schedule", refresh.full_schedule, "UTC");
  section.finish();
  return refresh;
}

std::vector<ScheduleConfig> read_schedules(YamlSection& top, std::vector<ScheduleConfig> defaults) {
  bool present = false;
  auto items = top.sections("schedules", present);
  if (!present) return defaults;
  std::vector<ScheduleConfig> out;
  std::set<std::string> names;
  for (auto& item : items) {
    ScheduleConfig s;
    item.read("name", s.name);
    item.read("cron", s.cron);
    item.read("timezone", s.timezone);
    s.deadline_seconds = read_duration(item, "deadline", 0);
    item.finish();
    if (s.name.empty()) item.fail("name", "missing required key");
    if (!std::regex_match(s.name, std::regex("[A-Za-z0-9_.-]{1,64}"))) {
      item.fail("name", "use 1-64 letters, digits, '_', '.' or '-'");
    }
    if (!names.insert(s.name).second) item.fail("name", "duplicate schedule name \"" + s.name + "\"");
    if (s.cron.empty()) item.fail("cron", "missing required key");
    check_cron(item, "cron", s.cron, s.timezone);
    out.push_back(s);
  }
  return out;
}

FallbackEventConfig read_fallback_event(YamlSection section) {
  FallbackEventConfig event;
  section.read("enabled", event.enabled);
  section.read("interval", event.interval_text);
  section.read("stale_after_days", event.stale_after_days, 0, 3650);
  section.finish();
  std::smatch m;
  if (!std::regex_match(event.interval_text, m, std::regex("([1-9][0-9]{0,4})([mhd])"))) {
    section.fail("interval",
                 "expected a number with m, h or d (e.g. 30m, 6h, 1d), got \"" + event.interval_text + "\"");
  }
  event.interval_amount = static_cast<unsigned>(std::stoul(m[1].str()));
  const char unit = m[2].str()[0];
  event.interval_unit = unit == 'm' ? "MINUTE" : unit == 'h' ? "HOUR" : "DAY";
  return event;
}

SegmentationConfig read_segmentation(YamlSection section) {
  SegmentationConfig seg;
  section.read("as_of", seg.as_of);
  section.read("counted_statuses", seg.counted_statuses);
  section.read("scoring_method", seg.scoring_method);
  section.finish();
  if (seg.as_of != "data" && seg.as_of != "now" && !is_calendar_date(seg.as_of)) {
    section.fail("as_of", "must be data, now or a date YYYY-MM-DD, got \"" + seg.as_of + "\"");
  }
  if (seg.counted_statuses.empty()) section.fail("counted_statuses", "must list at least one order status");
  std::size_t length = 0;
  for (const auto& s : seg.counted_statuses) {
    if (!std::regex_match(s, std::regex("[a-z_]{1,20}"))) {
      section.fail("counted_statuses", "\"" + s + "\" is not an order status (lower-case letters and _)");
    }
    length += s.size() + 1;
  }
  if (length > 255) section.fail("counted_statuses", "list is longer than 255 characters");
  if (seg.scoring_method != "ntile" && seg.scoring_method != "quantile") {
    section.fail("scoring_method", "must be ntile or quantile, got \"" + seg.scoring_method + "\"");
  }
  return seg;
}

PredictionsConfig read_predictions(YamlSection section) {
  PredictionsConfig p;
  section.read("enabled", p.enabled);
  std::vector<std::string> horizons;
  section.read("horizons_days", horizons);
  section.read("discount_rate_annual", p.discount_rate_annual, 0.0, 1.0);
  section.read("min_customers", p.min_customers, 1, 100000000);
  section.read("min_repeat_customers", p.min_repeat_customers, 1, 100000000);
  section.read("min_history_days", p.min_history_days, 1, 36500);
  section.finish();
  if (section.has("horizons_days")) {
    // Each horizon names two columns of vw_customer_predictions, so the
    // list stays short and free of repeats.
    if (horizons.empty() || horizons.size() > 6) section.fail("horizons_days", "must list 1 to 6 horizons");
    p.horizons_days.clear();
    for (const auto& h : horizons) {
      unsigned days = 0;
      auto [ptr, ec] = std::from_chars(h.data(), h.data() + h.size(), days);
      if (ec != std::errc() || ptr != h.data() + h.size() || days < 1 || days > 3650) {
        section.fail("horizons_days", "\"" + h + "\" is not a number of days from 1 to 3650");
      }
      if (std::find(p.horizons_days.begin(), p.horizons_days.end(), days) != p.horizons_days.end()) {
        section.fail("horizons_days", "lists " + h + " twice");
      }
      p.horizons_days.push_back(days);
    }
  }
  return p;
}

ExportsConfig read_exports(YamlSection section) {
  ExportsConfig exports;
  std::string dir;
  section.read("dir", dir);
  section.read("keep_sets", exports.keep_sets, 1, 1000);
  std::string mode = "0600";
  section.read("file_mode", mode);
  section.finish();
  if (mode == "0600") {
    exports.file_mode = 0600;
  } else if (mode == "0640") {
    exports.file_mode = 0640;
  } else if (mode == "0644") {
    exports.file_mode = 0644;
  } else {
    section.fail("file_mode", "must be \"0600\", \"0640\" or \"0644\", got \"" + mode + "\"");
  }
  exports.dir = dir;
  if (!dir.empty() && exports.dir.is_relative()) section.fail("dir", "must be an absolute path");
  return exports;
}

LoggingConfig read_logging(YamlSection section) {
  LoggingConfig logging;
  section.read("level", logging.level);
  section.finish();
  if (logging.level != "debug" && logging.level != "info" && logging.level != "warn" && logging.level != "error") {
    section.fail("level", "must be debug, info, warn or error, got \"" + logging.level + "\"");
  }
  return logging;
}

ObservabilityConfig read_observability(YamlSection section) {
  ObservabilityConfig o;
  std::string textfile;
  section.read("listen", o.listen);
  section.read("textfile", textfile);
  section.read("stuck_after_seconds", o.stuck_after_seconds, 10, 604800);
  section.finish();
  if (!o.listen.empty() && !std::regex_match(o.listen, std::regex(R"(^(\[[0-9a-fA-F:.]+\]|[0-9.]*):[0-9]{1,5}$)"))) {
    section.fail("listen", "\"" + o.listen + "\" is not ADDRESS:PORT (e.g. 127.0.0.1:9464, [::1]:9464, :9464)");
  }
  if (!textfile.empty()) {
    o.textfile = textfile;
    if (!o.textfile.is_absolute()) section.fail("textfile", "must be an absolute path");
    if (o.textfile.extension() != ".prom")
      section.fail("textfile", "must end in .prom (node_exporter reads only those)");
  }
  return o;
}

HaConfig read_ha(YamlSection section) {
  HaConfig ha;
  // At least 3 s: the lease is renewed every third of it, on its own connection.
  section.read("lease_seconds", ha.lease_seconds, 3, 3600);
  section.finish();
  return ha;
}

RetentionConfig read_retention(YamlSection section) {
  RetentionConfig r;
  constexpr unsigned kDays = 100000;  // about 270 years
  section.read("pipeline_runs_days", r.pipeline_runs_days, 0, kDays);
  section.read("ingested_files_days", r.ingested_files_days, 0, kDays);
  section.read("history_runs", r.history_runs, 0, 1000000);
  section.read("monthly_snapshots", r.monthly_snapshots, 0, 12000);
  section.read("processed_files_days", r.processed_files_days, 0, kDays);
  section.read("quarantine_files_days", r.quarantine_files_days, 0, kDays);
  section.read("schedule", r.schedule);
  section.read("timezone", r.timezone);
  section.finish();
  check_cron(section, "schedule", r.schedule, r.timezone);
  return r;
}

std::vector<NotifyTarget> read_notify(YamlSection& top) {
  bool present = false;
  auto items = top.sections("notify", present);
  std::vector<NotifyTarget> out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto& item = items[i];
    NotifyTarget t;
    t.name = "notify[" + std::to_string(i) + "]";
    item.read("name", t.name);
    item.read("url", t.url);
    item.read("url_file", t.url_file);
    item.read("format", t.format);
    item.read("events", t.events);
    item.read("ca", t.ca);
    t.repeat_interval_seconds = read_duration(item, "repeat_interval", t.repeat_interval_seconds);
    t.notify_after_seconds = read_duration(item, "notify_after", t.notify_after_seconds);
    item.read("retries", t.retries, 0, 20);
    if (item.has("segment_shift_share")) {
      std::string share;
      item.read("segment_shift_share", share);
      if (!std::regex_match(share, std::regex("(0(\\.[0-9]+)?|1(\\.0+)?)"))) {
        item.fail("segment_shift_share", "must be a share between 0 and 1 (e.g. 0.2), got \"" + share + "\"");
      }
      t.segment_shift_share = std::stod(share);
    }
    item.finish();
    if (t.url.empty() == t.url_file.empty()) item.fail("url", "set url or url_file (one of them)");
    if (!t.url.empty() && !std::regex_match(t.url, std::regex("https?://[^/\\s]+(/\\S*)?"))) {
      item.fail("url", "must be an http:// or https:// URL");  // the URL itself is not repeated: it may hold a token
    }
    if (t.format != "json" && t.format != "slack") {
      item.fail("format", "must be json or slack, got \"" + t.format + "\"");
    }
    for (const auto& e : t.events) {
      if (std::find(kNotifyEvents.begin(), kNotifyEvents.end(), e) == kNotifyEvents.end()) {
        item.fail(
            "events",
            "unknown event \"" + e +
                "\" (run_failed, file_quarantined, refresh_overdue, database_unavailable, recovered, segment_shift)");
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

Config from_root(const YAML::Node& root, const std::string& name) {
  Config config;
  config.source = name;
  YamlSection top(root, "", name);
  if (!top.has("database")) top.fail("database", "missing required section");
  config.database = read_database(top.section("database"));
  config.inbox = read_inbox(top.section("inbox"));
  config.ingest = read_ingest(top.section("ingest"));
  config.refresh = read_refresh(top.section("refresh"));
  config.schedules = read_schedules(top, config.schedules);
  config.fallback_event = read_fallback_event(top.section("fallback_event"));
  config.segmentation = read_segmentation(top.section("segmentation"));
  config.predictions = read_predictions(top.section("predictions"));
  config.exports = read_exports(top.section("exports"));
  config.observability = read_observability(top.section("observability"));
  config.notify = read_notify(top);
  config.retention = read_retention(top.section("retention"));
  config.ha = read_ha(top.section("ha"));
  config.logging = read_logging(top.section("logging"));
  config.currency = read_currency(top.section("currency"));
  config.feeds = read_feeds(top);
  top.finish();
  return config;
}

YAML::Node parse_yaml(const std::string& text, const std::string& name) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(position(name, e.mark) + "invalid YAML: " + e.msg);
  }
}

}  // namespace

Config parse_config(const std::string& text, const std::string& name) {
  return from_root(parse_yaml(text, name), name);
}

Config load_config(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path.string() + ": cannot read config file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path.string());
}

const char* to_string(TlsMode mode) {
  switch (mode) {
    case TlsMode::Disabled:
      return "disabled";
    case TlsMode::Preferred:
      return "preferred";
    case TlsMode::Required:
      return "required";
    case TlsMode::VerifyCa:
      return "verify_ca";
    case TlsMode::VerifyIdentity:
      return "verify_identity";
  }
  return "?";
}

std::vector<DatabaseEndpoint> endpoints_of(const DatabaseConfig& db) {
  if (!db.hosts.empty()) return db.hosts;
  return {{db.host, db.port}};
}

std::string resolve_notify_url(const NotifyTarget& target) {
  if (target.url_file.empty()) return target.url;
  std::ifstream in(target.url_file);
  std::string url;
  if (!in || !std::getline(in, url)) throw ConfigError(target.name + ".url_file: cannot read " + target.url_file);
  if (!url.empty() && url.back() == '\r') url.pop_back();
  if (!std::regex_match(url, std::regex("https?://[^/\\s]+(/\\S*)?"))) {
    throw ConfigError(target.name + ".url_file: " + target.url_file + " does not hold an http:// or https:// URL");
  }
  return url;
}

std::string resolve_password(const DatabaseConfig& db) {
  if (!db.password_file.empty()) {
    std::ifstream in(db.password_file, std::ios::binary);
    if (!in) throw ConfigError("database.password_file: cannot read " + db.password_file);
    std::string secret((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Files written by `echo` end with a newline that is not part of the secret.
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    return secret;
  }
  if (!db.password_env.empty()) {
    const char* value = std::getenv(db.password_env.c_str());
    if (value == nullptr) {
      throw ConfigError("database.password_env: environment variable " + db.password_env + " is not set");
    }
    return value;
  }
  return "";
}

}  // namespace segmentd
