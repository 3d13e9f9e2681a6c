#include "exports.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "db_session.h"
#include "durable_file.h"
#include "errors.h"
#include "named_lock.h"
#include "private_file.h"
#include "refresh.h"
#include "refresh_sql.h"

namespace segmentd {
namespace {

namespace fs = std::filesystem;

struct ExportSpec {
  const char* file;
  const char* sql;                // column aliases are the deliverable's header
  bool with_predictions = false;  // the BI file also has the prediction columns
};

// Column names and order follow ../shared/olist-real/seed-outputs.
constexpr ExportSpec kExports[] = {
    {"final_customer_segments.csv", refresh_sql::kFinalCustomerSegments},
    {"customer_rfm_scores.csv", refresh_sql::kCustomerRfmScores},
    {"segment_summary_analysis.csv", refresh_sql::kSegmentSummary},
    {"intermediate_order_values.csv", refresh_sql::kIntermediateOrderValues},
    {"bi_view_customer_segments.csv", refresh_sql::kBiViewCustomerSegments, true},
};

// The BI file's statement: its original columns, then those of
// vw_customer_predictions (doc/PREDICTIONS.md), whatever the horizons.
std::string statement_of(DbSession& db, const ExportSpec& spec) {
  if (!spec.with_predictions) return spec.sql;
  std::vector<std::string> columns;
  for (const auto& row : db.query(refresh_sql::kPredictionColumns).rows) {
    const std::string name = row.at(0).value_or("");
    if (!refresh_sql::is_plain_column_name(name)) throw UserError("export: unexpected prediction column " + name);
    columns.push_back(name);
  }
  return columns.empty() ? std::string(spec.sql) : refresh_sql::bi_view_with_predictions(columns);
}

constexpr const char* kSetPrefix = "run-";
constexpr const char* kCurrent = "current";

[[noreturn]] void fail(const std::string& what, const fs::path& path, int error_number) {
  throw IoError("export: " + what + " " + path.string() + ": " + std::strerror(error_number), error_number);
}

ExportedFile write_one(DbSession& db, const fs::path& set_dir, const ExportSpec& spec, unsigned file_mode) {
  ExportedFile out;
  out.path = set_dir / spec.file;
  PrivateFile file(out.path, file_mode);  // customer data: 0600 unless configured
  std::string line;
  db.for_each_row(
      statement_of(db, spec),
      [&](const std::vector<std::string>& columns) {
        line.clear();
        for (std::size_t i = 0; i < columns.size(); ++i) line += (i ? "," : "") + columns[i];
        line += '\n';
        file.write(line);
      },
      [&](const std::vector<DbValue>& row) {
        line.clear();
        for (std::size_t i = 0; i < row.size(); ++i) {
          if (i) line += ',';
          line += csv_field(row[i]);
        }
        line += '\n';
        file.write(line);
        ++out.rows;
      });
  file.sync();
  file.close();
  file.keep();
  return out;
}

// Points `link` at `target` with one rename, whatever `link` was before (a
// symlink, a file from the one-folder layout, or nothing).
void replace_symlink(const fs::path& link, const fs::path& target) {
  const fs::path temp = link.parent_path() / scratch_name(kExportTempPrefix, ".link");
  if (::symlink(target.c_str(), temp.c_str()) != 0) fail("cannot create link", temp, errno);
  if (::rename(temp.c_str(), link.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temp.c_str());
    fail("cannot switch", link, saved);
  }
}

// "run-<N>" or "run-<N>.<k>": the run and the suffix, or nullopt.
std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_set_name(const std::string& name) {
  std::uint64_t run = 0, n = 0;
  if (name.rfind(kSetPrefix, 0) != 0 || std::sscanf(name.c_str() + 4, "%lu.%lu", &run, &n) < 1) return std::nullopt;
  return std::make_pair(run, n);
}

// The published sets, oldest first (by run, then by suffix).
std::vector<fs::path> published_sets(const fs::path& dir) {
  std::vector<std::pair<std::pair<std::uint64_t, std::uint64_t>, fs::path>> sets;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const auto parsed = parse_set_name(name);
    if (!parsed || !it->is_directory(ec) || it->is_symlink(ec)) continue;
    sets.push_back({*parsed, it->path()});
  }
  std::sort(sets.begin(), sets.end());
  std::vector<fs::path> out;
  for (auto& s : sets) out.push_back(std::move(s.second));
  return out;
}

fs::path free_set_name(const fs::path& dir, std::uint64_t run_id) {
  const std::string base = kSetPrefix + std::to_string(run_id);
  for (unsigned n = 0;; ++n) {
    fs::path p = dir / (n == 0 ? base : base + "." + std::to_string(n));
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(p, ec))) return p;
  }
}

}  // namespace

std::uint64_t ExportSet::rows() const {
  std::uint64_t n = 0;
  for (const auto& f : files) n += f.rows;
  return n;
}

std::string csv_field(const std::optional<std::string>& value) {
  if (!value) return "";
  if (value->find_first_of(" ,\"\r\n") == std::string::npos) return *value;
  std::string quoted = "\"";
  for (char c : *value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

ExportSet write_exports(DbSession& db, const fs::path& dir, unsigned keep_sets, unsigned file_mode) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail("cannot create folder", dir, ec.value());
  // No refresh may swap the tables between the first and the last file.
  NamedLock lock(db, "refresh", 300);
  ExportSet set;
  set.run_id = newest_successful_refresh(db);
  const fs::path temp = dir / scratch_name(kExportTempPrefix, "");
  if (::mkdir(temp.c_str(), 0700) != 0) fail("cannot create folder", temp, errno);
  try {
    for (const auto& spec : kExports) set.files.push_back(write_one(db, temp, spec, file_mode));
    fsync_path(temp);
    set.dir = free_set_name(dir, set.run_id);
    if (::rename(temp.c_str(), set.dir.c_str()) != 0) fail("cannot publish", set.dir, errno);
  } catch (...) {
    fs::remove_all(temp, ec);
    throw;
  }
  // Readers of the set folder need to get in; the files keep their own mode.
  ::chmod(set.dir.c_str(), 0755);
  for (auto& f : set.files) f.path = set.dir / f.path.filename();
  replace_symlink(dir / kCurrent, set.dir.filename());
  for (const auto& spec : kExports) {
    const fs::path stable = dir / spec.file;
    const fs::path target = fs::path(kCurrent) / spec.file;
    std::error_code link_ec;
    if (fs::is_symlink(fs::symlink_status(stable, link_ec)) && fs::read_symlink(stable, link_ec) == target) continue;
    replace_symlink(stable, target);
  }
  fsync_path(dir);
  // Older sets go, newest kept; a reader still inside one keeps its open
  // files (unlink semantics).
  auto sets = published_sets(dir);
  const std::size_t keep = std::max<unsigned>(keep_sets, 1);
  for (std::size_t i = 0; i + keep < sets.size(); ++i) {
    if (sets[i] != set.dir) fs::remove_all(sets[i], ec);
  }
  return set;
}

std::uint64_t published_run(const fs::path& dir) {
  std::error_code ec;
  const fs::path target = fs::read_symlink(dir / kCurrent, ec);
  if (ec) return 0;
  const auto parsed = parse_set_name(target.filename().string());
  return parsed ? parsed->first : 0;
}

bool exports_stale(DbSession& db, const fs::path& dir) {
  if (dir.empty()) return false;
  const std::uint64_t newest = newest_successful_refresh(db);
  return newest != 0 && published_run(dir) != newest;
}

void record_export(DbSession& db, std::uint64_t run_id, const fs::path& dir, const ExportSet* set,
                   const std::string& error) {
  nlohmann::json j = {{"status", set ? "written" : "failed"}, {"dir", dir.string()}};
  if (set) {
    j["set"] = set->dir.filename().string();
    j["files"] = set->files.size();
    j["rows"] = set->rows();
  } else {
    j["error"] = error;
  }
  db.update(refresh_sql::kRecordExport, {j.dump(), static_cast<std::int64_t>(run_id)});
}

}  // namespace segmentd
