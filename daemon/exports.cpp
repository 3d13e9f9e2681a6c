#include "exports.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "db_session.h"
#include "durable_file.h"
#include "errors.h"
#include "named_lock.h"

namespace segmentd {
namespace {

struct ExportSpec {
  const char* file;
  const char* sql;  // column aliases are the deliverable's header
};

// Column names and order follow ../shared/olist-real/seed-outputs.
constexpr ExportSpec kExports[] = {
    {"final_customer_segments.csv",
     "SELECT customer_unique_id, first_purchase_date, last_purchase_date, recency_days, frequency, monetary, "
     "r_score, f_score, m_score, rfm_code, segment_name FROM customer_segments ORDER BY customer_unique_id"},
    {"customer_rfm_scores.csv",
     "SELECT customer_unique_id, recency_days, frequency, monetary, r_score, f_score, m_score, rfm_code "
     "FROM customer_rfm ORDER BY customer_unique_id"},
    {"segment_summary_analysis.csv",
     "SELECT segment_name, COUNT(*) AS customer_count, ROUND(AVG(monetary), 2) AS avg_spend, "
     "ROUND(AVG(frequency), 2) AS avg_freq, ROUND(AVG(recency_days)) AS avg_recency "
     "FROM customer_segments GROUP BY segment_name ORDER BY customer_count DESC, segment_name"},
    {"intermediate_order_values.csv",
     "SELECT order_id, customer_id, order_status, order_date, items_total, payments_total "
     "FROM order_values ORDER BY order_date, order_id"},
    {"bi_view_customer_segments.csv",
     "SELECT customer_unique_id, segment_name, r_score, f_score, m_score, rfm_code, monetary, recency_days, "
     "frequency FROM vw_customer_segments ORDER BY segment_name, customer_unique_id"},
};

[[noreturn]] void fs_fail(const std::filesystem::path& path, const std::string& what) {
  throw UserError("export " + path.string() + ": " + what + ": " + std::strerror(errno));
}

ExportedFile write_one(DbSession& db, const std::filesystem::path& dir, const ExportSpec& spec) {
  ExportedFile out;
  out.path = dir / spec.file;
  const auto temp = dir / ("." + std::string(spec.file) + ".tmp." + std::to_string(::getpid()));
  {
    std::ofstream file(temp, std::ios::binary | std::ios::trunc);
    if (!file) fs_fail(temp, "cannot create");
    std::string line;
    db.for_each_row(
        spec.sql,
        [&](const std::vector<std::string>& columns) {
          line.clear();
          for (std::size_t i = 0; i < columns.size(); ++i) line += (i ? "," : "") + columns[i];
          file << line << '\n';
        },
        [&](const std::vector<DbValue>& row) {
          line.clear();
          for (std::size_t i = 0; i < row.size(); ++i) {
            if (i) line += ',';
            line += csv_field(row[i]);
          }
          file << line << '\n';
          ++out.rows;
        });
    file.flush();
    if (!file) {
      std::filesystem::remove(temp);
      fs_fail(temp, "write failed");
    }
  }
  fsync_path(temp);
  if (::rename(temp.c_str(), out.path.c_str()) != 0) {
    std::filesystem::remove(temp);
    fs_fail(out.path, "cannot rename into place");
  }
  return out;
}

}  // namespace

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

std::vector<ExportedFile> write_exports(DbSession& db, const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw UserError("export " + dir.string() + ": cannot create directory: " + ec.message());
  // No refresh may swap the tables between the first and the last file.
  NamedLock lock(db, "refresh", 300);
  std::vector<ExportedFile> files;
  try {
    for (const auto& spec : kExports) files.push_back(write_one(db, dir, spec));
    fsync_path(dir);
  } catch (const std::filesystem::filesystem_error& e) {
    throw UserError(std::string("export: ") + e.what());
  }
  return files;
}

}  // namespace segmentd
