#pragma once
// The YAML configuration. Every key is checked in one pass; unknown keys and
// wrong types are errors that name file:line:column and the key.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "feeds_config.h"

namespace segmentd {

inline constexpr const char* kDefaultConfigPath = "/etc/segmentd/segmentd.yaml";

// How a TCP connection uses TLS; the names and meanings are MySQL's clients'
// --ssl-mode (docs/ and the README map each to Connector/C++'s options).
enum class TlsMode {
  Disabled,        // plaintext
  Preferred,       // TLS when the server offers it, else plaintext
  Required,        // TLS or no connection; the certificate is not checked
  VerifyCa,        // Required, and the server's certificate chains to `ca`
  VerifyIdentity,  // VerifyCa, and the certificate names the host connected to
};
const char* to_string(TlsMode mode);

struct TlsConfig {
  TlsMode mode = TlsMode::Preferred;
  std::string ca;                       // PEM file of trusted CAs (verify_*; default: the system's)
  std::string cert;                     // PEM client certificate, for accounts that REQUIRE X509
  std::string key;                      // its private key
  std::string min_version = "TLSv1.2";  // TLSv1.2 or TLSv1.3
  bool operator==(const TlsConfig&) const = default;
};

// One server address to try; hosts are tried in the order listed.
struct DatabaseEndpoint {
  std::string host;
  unsigned port = 3306;
  bool operator==(const DatabaseEndpoint&) const = default;
};

struct DatabaseConfig {
  std::string host = "localhost";
  unsigned port = 3306;
  std::vector<DatabaseEndpoint> hosts;  // `hosts:`; empty = host and port
  std::string socket;                   // when set, used instead of host/port
  TlsConfig tls;                        // TCP only: a local socket is already secure
  // caching_sha2_password over plaintext TCP encrypts the password with the
  // server's RSA key: this file, or (trusting the network) fetched from the
  // server when get_server_public_key is set.
  std::string server_public_key;
  bool get_server_public_key = false;
  std::string user = "segmentd";
  std::string password_file;
  std::string password_env;
  std::string database = "segmentd";
  unsigned connect_timeout_seconds = 10;
  // Reconnect delays grow from the initial to the maximum, doubling, with
  // up to 25% random jitter so several daemons do not retry in step.
  unsigned reconnect_initial_seconds = 1;
  unsigned reconnect_max_seconds = 60;
  // A statement that sends or returns nothing for this long fails with a
  // lost connection instead of hanging the worker (a refresh at 100x runs
  // minutes, so the read side is generous).
  unsigned read_timeout_seconds = 3600;
  unsigned write_timeout_seconds = 600;
  bool operator==(const DatabaseConfig&) const = default;
};

enum class LoadPath { Auto, LoadData, Insert };

struct IngestConfig {
  unsigned max_rejected_rows = 0;  // above it a file is refused whole
  LoadPath load_path = LoadPath::Auto;
  // A file that replaces a whole table (geolocation) but has no data rows
  // is refused unless this is set: a header-only export would empty it.
  bool allow_empty_replace = false;
};

struct InboxConfig {
  std::filesystem::path path;        // required by `segmentd run`
  std::filesystem::path processed;   // default <path>/processed
  std::filesystem::path quarantine;  // default <path>/quarantine
  unsigned settle_seconds = 3;       // size and mtime unchanged this long
  unsigned rescan_seconds = 60;      // full scan, for mounts inotify misses
  std::vector<std::string> ignore = {".*", "*.part", "*.tmp", "*.swp", "*~"};
};

struct RefreshConfig {
  bool after_ingest = true;
  unsigned debounce_seconds = 5;  // no new file in the inbox for this long
  // When the daemon recomputes everything (doc/MODEL.md "Incremental refresh"),
  // in UTC; empty: never on its own.
  std::string full_schedule = "0 4 * * 0";
};

struct ScheduleConfig {
  std::string name;
  std::string cron;
  std::string timezone = "UTC";
  // No successful refresh (by anyone) for this long: the refresh_overdue
  // alert. 0 = none.
  unsigned deadline_seconds = 0;
};

struct FallbackEventConfig {
  bool enabled = true;
  unsigned interval_amount = 1;
  std::string interval_unit = "DAY";  // MINUTE, HOUR or DAY (validated)
  std::string interval_text = "1d";
  unsigned stale_after_days = 1;
};

struct SegmentationConfig {
  std::string as_of = "data";  // data, now or YYYY-MM-DD
  std::vector<std::string> counted_statuses = {"delivered", "shipped"};
  std::string scoring_method = "ntile";
};

// Predictions after every refresh (doc/PREDICTIONS.md).
struct PredictionsConfig {
  bool enabled = true;
  std::vector<unsigned> horizons_days = {30, 90, 365};
  double discount_rate_annual = 0;
  // The gate: below these the fit says little, and predictions are
  // marked unavailable instead.
  unsigned min_customers = 100;
  unsigned min_repeat_customers = 30;
  unsigned min_history_days = 60;
};

struct ExportsConfig {
  std::filesystem::path dir;  // empty: no exports after refresh
  unsigned keep_sets = 2;     // published sets kept (exports.h)
  // The files hold customer data: private by default; 0640 lets the
  // service's group (a BI reader) read them.
  unsigned file_mode = 0600;
};

struct ObservabilityConfig {
  // GET /metrics, /livez, /readyz; empty = no listener. Localhost by
  // default: the endpoints have no authentication.
  std::string listen = "127.0.0.1:9464";
  // Also write the metrics to this node_exporter textfile (*.prom) after
  // each change; empty = none.
  std::filesystem::path textfile;
  // A database job running longer than this is stuck: /livez answers 503
  // and the systemd watchdog is no longer fed, so systemd restarts the
  // daemon. Above read_timeout_seconds, since a statement that long fails
  // on its own first.
  unsigned stuck_after_seconds = 7200;
  bool operator==(const ObservabilityConfig&) const = default;
};

// What segmentd removes on its own (doc/OPERATIONS.md "Retention"); 0 keeps forever.
struct RetentionConfig {
  unsigned pipeline_runs_days = 400;
  unsigned ingested_files_days = 400;
  unsigned history_runs = 30;       // successful refreshes whose history stays
  unsigned monthly_snapshots = 24;  // months whose first successful refresh also stays
  unsigned processed_files_days = 30;
  unsigned quarantine_files_days = 90;
  std::string schedule = "30 3 * * *";  // besides once at start
  std::string timezone = "UTC";
  bool operator==(const RetentionConfig&) const = default;
};

// One webhook that alerts are posted to (doc/OPERATIONS.md "Alerts").
struct NotifyTarget {
  std::string name;                             // for logs; default "notify[i]"
  std::string url;                              // http:// or https://, or ...
  std::string url_file;                         // ... a file holding it (a secret: never logged)
  std::string format = "json";                  // json (Alertmanager-like) or slack ({"text": ...})
  std::vector<std::string> events;              // empty = every event
  unsigned repeat_interval_seconds = 4 * 3600;  // the same alert again no sooner
  unsigned notify_after_seconds = 300;          // database_unavailable after this long
  std::string ca;                               // PEM CA for https; default the system's
  double segment_shift_share = 0.2;             // segment_shift above this share of customers
  unsigned retries = 4;                         // posts again after a failure, with backoff
  bool operator==(const NotifyTarget&) const = default;
};

// The events a target can ask for.
inline const std::vector<std::string> kNotifyEvents = {"run_failed",           "file_quarantined", "refresh_overdue",
                                                       "database_unavailable", "recovered",        "segment_shift"};

struct LoggingConfig {
  std::string level = "info";
};

// One active daemon per database, any number of standbys (doc/OPERATIONS.md "Two
// daemons"): the leader holds a lease row it renews; a standby takes over
// once the lease has expired.
struct HaConfig {
  // How long a lease lasts without renewal: a standby takes over within
  // this long of the leader's death. Renewed every third of it.
  unsigned lease_seconds = 15;
  bool operator==(const HaConfig&) const = default;
};

struct Config {
  std::filesystem::path source;  // file it was read from
  DatabaseConfig database;
  InboxConfig inbox;
  IngestConfig ingest;
  RefreshConfig refresh;
  std::vector<ScheduleConfig> schedules = {{"daily", "@daily", "UTC"}};
  FallbackEventConfig fallback_event;
  SegmentationConfig segmentation;
  PredictionsConfig predictions;
  ExportsConfig exports;
  ObservabilityConfig observability;
  std::vector<NotifyTarget> notify;
  RetentionConfig retention;
  HaConfig ha;
  LoggingConfig logging;
  CurrencyConfig currency;
  std::vector<FeedSpec> feeds;  // the configured feeds, or every preset (doc/FEEDS.md)
};

// Reads and validates a config file. Throws ConfigError.
Config load_config(const std::filesystem::path& path);
// Same, from text (tests); `name` is used in messages.
Config parse_config(const std::string& text, const std::string& name);

// The addresses a TCP connection tries, in order.
std::vector<DatabaseEndpoint> endpoints_of(const DatabaseConfig& db);

// The target's URL, from url or url_file (first line). Throws ConfigError
// naming the target and file, never the URL (it may carry a token).
std::string resolve_notify_url(const NotifyTarget& target);

// Resolves the password from password_file or password_env. Throws
// ConfigError naming the source (never the secret) when it cannot be read.
std::string resolve_password(const DatabaseConfig& db);

}  // namespace segmentd
