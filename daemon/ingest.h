#pragma once
// Loads one Olist CSV file into its canonical table: recognise by header,
// validate every row, stage, and merge in one transaction together with the
// file's ledger row (ingested_files) — so a file is fully applied or not at
// all, and content already loaded is recognised by its SHA-256.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "config.h"

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
};

struct IngestInterrupted : std::exception {
  const char* what() const noexcept override { return "ingest interrupted"; }
};

struct FileOutcome {
  std::string name;    // as given
  std::string status;  // loaded, duplicate, rejected, failed, interrupted
  std::string dataset;
  std::string sha256;
  std::uint64_t size = 0;
  std::uint64_t rows_read = 0, rows_loaded = 0, rows_rejected = 0;
  std::string load_path;  // load_data or insert
  bool staged = false;    // applied through the staging table (repeated keys possible)
  bool bulk = false;      // loaded into an empty table, its indexes built in bulk (bulk_load.h)
  std::string message;
  std::filesystem::path rejects_file;  // empty when no row was rejected
  std::uint64_t ledger_id = 0;
  bool ok() const { return status == "loaded" || status == "duplicate"; }
};

// Never throws for a problem with the file (that is its outcome); throws
// DbError when the database connection is lost, leaving nothing half-done.
FileOutcome ingest_file(DbSession& db, const std::filesystem::path& path, const IngestOptions& options,
                        std::optional<std::uint64_t> run_id);

// The name of the load path that `Auto` resolves to on this server.
LoadPath resolve_load_path(DbSession& db, LoadPath requested);

}  // namespace segmentd
