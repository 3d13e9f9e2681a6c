#pragma once
// The original project's five CSV deliverables, written from the current
// results and published as one set:
//
//   DIR/run-<N>/            the five files of the refresh run N (complete)
//   DIR/current -> run-<N>  replaced by one rename, so it always names a
//                           complete set
//   DIR/<name>.csv -> current/<name>.csv   stable names for readers
//
// A set is written into a hidden temporary folder and renamed to run-<N>
// only when all five files are written and synced; then `current` is
// switched. A failure (a full disk) leaves `current` on the previous set and
// removes the partial one. A reader that resolves `current` once (or reads a
// run-<N> folder) sees five files of one refresh; the top-level names
// follow `current` file by file.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace segmentd {

class DbSession;

// Prefix of the temporary set folders, for the start-up sweep.
inline constexpr const char* kExportTempPrefix = ".segmentd-set-";

struct ExportedFile {
  std::filesystem::path path;
  std::uint64_t rows = 0;
};

struct ExportSet {
  std::filesystem::path dir;  // DIR/run-<N>
  std::uint64_t run_id = 0;   // the refresh whose results these are (0: none yet)
  std::vector<ExportedFile> files;
  std::uint64_t rows() const;
};

// Writes and publishes a set in `dir` (created if missing), keeping the
// newest `keep_sets` sets. Holds the refresh lock meanwhile so the five
// files describe the same refresh. Throws IoError (naming the file and the
// errno, e.g. "No space left on device") for file-system problems, DbError
// for database ones.
ExportSet write_exports(DbSession& db, const std::filesystem::path& dir, unsigned keep_sets = 2,
                        unsigned file_mode = 0600);

// The refresh run whose set `current` points at in `dir`, or 0 (none).
std::uint64_t published_run(const std::filesystem::path& dir);

// Whether the newest successful refresh has no published set in `dir` yet
// (its export failed, or another session's refresh did the work).
bool exports_stale(DbSession& db, const std::filesystem::path& dir);

// Records an export's outcome in the refresh run's details
// ($.export: status, dir, set, files, rows or error).
void record_export(DbSession& db, std::uint64_t run_id, const std::filesystem::path& dir, const ExportSet* set,
                   const std::string& error);

// One CSV field as the original exports wrote it: quoted when it contains a
// space, comma, quote or line break; NULL as an empty field.
std::string csv_field(const std::optional<std::string>& value);

}  // namespace segmentd
