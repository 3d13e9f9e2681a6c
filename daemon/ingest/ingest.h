#pragma once
// Loads one Olist CSV file into its canonical table: recognise by header,
// validate every row, stage, and merge in one transaction together with the
// file's ledger row (ingested_files) — so a file is fully applied or not at
// all, and content already loaded is recognised by its SHA-256.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "config.h"
#include "errors.h"
#include "feed_spec.h"
#include "file_identity.h"
#include "file_status.h"
#include "lease.h"

namespace segmentd {

class DbSession;

struct IngestOptions {
  unsigned max_rejected_rows = 0;
  LoadPath load_path = LoadPath::Auto;
  // Where the rejects file goes; empty = beside the input file.
  std::filesystem::path rejects_dir;
  // Scratch space for the normalised copy LOAD DATA reads.
  std::filesystem::path temp_dir = std::filesystem::temp_directory_path();
  // Memory for putting a keyed file in primary-key order before loading it;
  // a larger file is sorted in batches written to temp_dir.
  std::size_t sort_memory = 8u << 20;
  // When set and true, the file is abandoned before its transaction commits
  // (outcome "interrupted"; nothing applied, no ledger row).
  const std::atomic<bool>* cancel = nullptr;
  // How long to wait for another session's ingest to finish before giving
  // up with LockBusy (transient). The daemon waits briefly and retries the
  // file later, so its one worker is never blocked for long.
  unsigned lock_wait_seconds = 600;
  // A file that replaces a whole table but has no data rows is refused
  // unless set (config ingest.allow_empty_replace).
  bool allow_empty_replace = false;
  // The run also counts every reference check again over the whole
  // tables, in one transaction after its files: for changes made with plain
  // SQL, which the kept gaps do not see (reference_gaps.h).
  bool recount_references = false;
  // The daemon's lease (lease.h): each ledger row is written in a
  // transaction that first checks it, so a deposed leader commits nothing
  // (the file's outcome is Interrupted, with the reason).
  std::optional<LeaseFence> fence;
  // A seam for the whole-binary tests (job_hooks.h): called when the file
  // has been read and the load is about to commit. Empty in production.
  std::function<void(const std::filesystem::path&)> before_commit;
  // The shop exports segmentd recognises besides the Olist files, and the
  // currency their values are kept in (doc/FEEDS.md).
  std::vector<FeedSpec> feeds = feed_presets();
  std::string base_currency = "USD";
};

// The options a configuration gives (ingest:, feeds:, currency:); the
// caller adds its own (rejects folder, cancel flag, fence).
IngestOptions ingest_options(const Config& config);

// Prefix of the scratch files ingest writes (private_file.h), for sweeps.
inline constexpr const char* kStagePrefix = "segmentd-stage-";

struct IngestInterrupted : std::exception {
  const char* what() const noexcept override { return "ingest interrupted"; }
};

struct FileOutcome {
  std::string name;  // as given, escaped where it is not valid UTF-8 (text.h)
  FileStatus status = FileStatus::Failed;
  // For Failed: whether trying the same file again may succeed (a deadlock,
  // a lock held elsewhere) or not (a read error, a server warning).
  ErrorCategory failure = ErrorCategory::Permanent;
  std::string dataset;
  std::string sha256;
  std::uint64_t size = 0;
  std::uint64_t rows_read = 0, rows_loaded = 0, rows_rejected = 0;
  std::string load_path;  // load_data or insert
  bool staged = false;    // applied through the staging table (repeated keys possible)
  bool bulk = false;      // loaded into an empty table, its indexes built in bulk (bulk_load.h)
  bool streamed = false;  // on Galera, replicated in fragments (write_set.h)
  bool fenced = false;    // Interrupted because this daemon lost its lease (lease.h)
  std::string message;
  std::filesystem::path rejects_file;  // empty when no row was rejected
  std::uint64_t ledger_id = 0;
  // A feed file: orders that wait for a currency rate, all feeds together,
  // as "EUR 3, GBP 1" (empty: none).
  std::string held;
  // The file as it was read (set once opened): the move checks the name
  // still is this file, unchanged.
  std::optional<FileIdentity> identity;
  bool ok() const { return status == FileStatus::Loaded || status == FileStatus::Duplicate; }
};

// Never throws for a problem with the file (that is its outcome); throws
// DbError when the database connection is lost, leaving nothing half-done.
// The caller holds the ingest lock (IngestLock).
FileOutcome ingest_file_locked(DbSession& db, const std::filesystem::path& path, const IngestOptions& options,
                               std::optional<std::uint64_t> run_id);
// Same, taking the ingest lock for this one file (throws LockBusy).
FileOutcome ingest_file(DbSession& db, const std::filesystem::path& path, const IngestOptions& options,
                        std::optional<std::uint64_t> run_id);

// The name of the load path that `Auto` resolves to on this server.
LoadPath resolve_load_path(DbSession& db, LoadPath requested);

}  // namespace segmentd
