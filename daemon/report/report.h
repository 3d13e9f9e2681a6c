#pragma once
// Writing the segment report (report_html.h) of the newest successful
// refresh to a file: under the refresh lock, so every figure is of one run,
// then temp name + rename, so a reader sees the old report or the new one.

#include <cstdint>
#include <filesystem>
#include <string>

namespace segmentd {

class DbSession;

struct ReportFile {
  std::filesystem::path path;
  std::uint64_t run_id = 0;  // the refresh it describes (0: none yet)
  std::uint64_t bytes = 0;
};

// The name the daemon writes in exports.dir after each successful refresh.
inline constexpr const char* kReportFileName = "report.html";

// Throws IoError for the file, DbError for the database, LockBusy when a
// refresh holds its lock for longer than `lock_wait_seconds`.
ReportFile write_report(DbSession& db, const std::filesystem::path& file, unsigned file_mode = 0600,
                        unsigned lock_wait_seconds = 300);

// Records the daemon's report in the refresh run's details ($.report:
// status, file, bytes, or error).
void record_report(DbSession& db, std::uint64_t run_id, const ReportFile* written, const std::string& error);

}  // namespace segmentd
