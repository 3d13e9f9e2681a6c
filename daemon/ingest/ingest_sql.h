#pragma once
// Every statement ingest runs, in one place. Table and column names come
// from the dataset definitions (datasets.cpp) and the only path ever written
// into a statement is a scratch file segmentd named itself; values from a
// file are always bound or travel in the scratch file, never in SQL text.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "datasets.h"
#include "reference_gaps.h"

namespace segmentd::ingest_sql {

// The session-private staging table (CREATE TEMPORARY TABLE).
inline constexpr const char* kStage = "segmentd_stage";
// A session-private copy of a directly loaded file's keys and references,
// for keeping the reference gaps (reference_gaps.h).
inline constexpr const char* kFileRefs = "segmentd_file_refs";

// The ledger.
inline constexpr const char* kFindLoadedBySha =
    "SELECT id, original_name FROM ingested_files WHERE sha256 = ? AND status = 'loaded' ORDER BY id LIMIT 1";
inline constexpr const char* kInsertLedger =
    "INSERT INTO ingested_files (original_name, sha256, size_bytes, dataset, rows_read, rows_loaded, "
    "rows_rejected, status, load_path, run_id, started_at, finished_at, message) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3), ?)";

// Once this session holds the ingest lock, every other 'running' ingest run
// is one whose session died (a live run holds the lock from before its row
// is written): closed as abandoned. Only this server's (V012): another
// node's lock is not visible here.
inline constexpr const char* kCloseDeadIngestRuns =
    "UPDATE pipeline_runs SET status = 'abandoned', finished_at = UTC_TIMESTAMP(3), "
    "duration_ms = TIMESTAMPDIFF(MICROSECOND, started_at, UTC_TIMESTAMP(3)) DIV 1000, "
    "message = CONCAT('abandoned: connection ', COALESCE(connection_id, '?'), ' ended without closing this run', "
    "COALESCE(CONCAT(' (was: ', message, ')'), '')) "
    "WHERE kind = 'ingest' AND status = 'running' AND NOT (connection_id <=> CONNECTION_ID()) "
    "AND (server_node IS NULL OR server_node = CONCAT(@@hostname, ':', @@port))";

// The run row of one ingest run.
inline constexpr const char* kInsertRun =
    "INSERT INTO pipeline_runs (kind, `trigger`, status, started_at, started_by, host, pid, segmentd_version, "
    "connection_id, server_node, lease_epoch) VALUES ('ingest', ?, 'running', UTC_TIMESTAMP(3), ?, ?, ?, ?, "
    "CONNECTION_ID(), CONCAT(@@hostname, ':', @@port), @segmentd_lease_epoch)";
inline constexpr const char* kFinishRun =
    "UPDATE pipeline_runs SET status = ?, finished_at = UTC_TIMESTAMP(3), "
    "duration_ms = TIMESTAMPDIFF(MICROSECOND, started_at, UTC_TIMESTAMP(3)) DIV 1000, details = ?, message = ? "
    "WHERE run_id = ?";

// Server facts the load depends on.
inline constexpr const char* kServerVersion = "SELECT VERSION()";
inline constexpr const char* kLocalInfile = "SELECT @@GLOBAL.local_infile";
inline constexpr const char* kNow = "SELECT DATE_FORMAT(UTC_TIMESTAMP(3), '%Y-%m-%d %H:%i:%s.%f')";
inline constexpr const char* kLongGroupConcat = "SET SESSION group_concat_max_len = 1048576";
// Change tracking (V015, R050): a load too big to log row by row turns the
// triggers off for this session and logs "anything changed" instead, in
// the load's own transaction, so the next refresh is a full one.
inline constexpr const char* kUntrack = "SET @segmentd_untracked = 1";
inline constexpr const char* kTrack = "SET @segmentd_untracked = NULL";
inline constexpr const char* kLogAnyChange =
    "INSERT INTO segment_input_changes (order_id, customer_id) VALUES (NULL, NULL)";

std::string column_list(const Dataset& d);
std::string create_stage(const Dataset& d);
std::string drop_stage();
// INSERT of `rows` rows of the dataset's columns and the line number.
std::string insert_stage_rows(const Dataset& d, std::size_t rows);
// Keys repeated within the staged file: first key as written, first line,
// every line; LIMIT bound.
std::string repeated_keys(const Dataset& d);
std::string delete_staged_line();
// Whether a table has any row.
std::string any_row(const Dataset& d);
std::string any_row_of(std::string_view table);
std::string count_rows_of(std::string_view table);
std::string delete_all(const Dataset& d);
// The staged rows into the table; keyed tables upsert every column.
std::string merge_from_stage(const Dataset& d);
// LOAD DATA of a scratch file segmentd wrote (TSV, backslash escapes, \N).
// `replace`: a row whose key exists replaces it (the same result as the
// staging path's upsert); without it, LOCAL makes the server skip such rows
// with a warning. `columns` ends with the line number's target.
std::string load_scratch(const std::filesystem::path& scratch, std::string_view table, const std::string& columns,
                         bool replace);

// ---- reference gaps (reference_gaps.h, V018) ------------------------------
// Every statement binds the check's name as its one parameter.
std::string create_file_refs(const Dataset& d);
std::string drop_file_refs();
// LOAD DATA's column list for the normalised file, keeping only `keep`.
std::string file_refs_columns(const Dataset& d, const std::vector<std::string_view>& keep);
// The child: gaps at the keys of rows the file is about to replace...
std::string gap_mark_replaced(const ReferenceCheck& c, const Dataset& child, std::string_view file_rows);
// ...and at the keys the file's rows point at that no parent holds (a new
// gap with the file's count of it)...
std::string gap_mark_new(const ReferenceCheck& c, std::string_view file_rows);
// ...counted again, and those no row points at any more dropped.
std::string gap_recount_marked(const ReferenceCheck& c);
std::string gap_drop_closed();
// The parent: gaps the file's keys close, or that any parent row closes.
std::string gap_close_by_file(const ReferenceCheck& c, std::string_view file_rows);
std::string gap_close_by_table(const ReferenceCheck& c);
// Counting a check over its whole tables.
std::string gap_clear();
std::string gap_count_all(const ReferenceCheck& c);
inline constexpr const char* kGapTotals =
    "SELECT check_name, COALESCE(SUM(child_rows), 0) FROM reference_gaps GROUP BY check_name";

}  // namespace segmentd::ingest_sql
