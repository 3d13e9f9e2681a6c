#include "report.h"

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

#include "db_session.h"
#include "durable_file.h"
#include "named_lock.h"
#include "report_data.h"
#include "report_html.h"
#include "report_sql.h"

namespace segmentd {

ReportFile write_report(DbSession& db, const std::filesystem::path& file, unsigned file_mode,
                        unsigned lock_wait_seconds) {
  std::string html;
  ReportFile out;
  out.path = file;
  {
    NamedLock lock(db, "refresh", lock_wait_seconds);
    // Any refresh since this session last read the views (its own or
    // another session's) may have swapped the tables behind them.
    db.forget_prepared();
    const ReportData data = read_report_data(db);
    out.run_id = data.header.run_id;
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
    html = render_report(data, stamp);
  }
  write_file_atomically(file, html, file_mode);
  out.bytes = html.size();
  return out;
}

void record_report(DbSession& db, std::uint64_t run_id, const ReportFile* written, const std::string& error) {
  nlohmann::json j = {{"status", written ? "written" : "failed"}};
  if (written) {
    j["file"] = written->path.string();
    j["bytes"] = written->bytes;
    j["describes_run"] = written->run_id;
  } else {
    j["error"] = error;
  }
  db.update(report_sql::kRecordReport, {j.dump(), static_cast<std::int64_t>(run_id)});
}

}  // namespace segmentd
