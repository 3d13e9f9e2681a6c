#include "history.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "db_session.h"
#include "ops_sql.h"

namespace segmentd {
namespace {

std::optional<std::uint64_t> as_uint(const DbValue& v) {
  if (!v) return std::nullopt;
  return std::stoull(*v);
}

nlohmann::json json_or_null(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  auto parsed = nlohmann::json::parse(*text, nullptr, false);
  return parsed.is_discarded() ? nlohmann::json(*text) : parsed;
}

template <typename T>
nlohmann::json opt(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

// Messages are one line in the table whatever they hold.
std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\r', ' ');
  return s;
}

}  // namespace

std::vector<RunRecord> fetch_runs(DbSession& db, const HistoryQuery& query) {
  std::string sql = ops_sql::kHistoryColumns;
  std::vector<DbParam> params;
  if (query.run_id) {
    sql += " WHERE run_id = ?";
    params.emplace_back(static_cast<std::int64_t>(*query.run_id));
  } else if (query.status) {
    sql += " WHERE status = ?";
    params.emplace_back(*query.status);
  }
  sql += " ORDER BY run_id DESC LIMIT ?";
  params.emplace_back(static_cast<std::int64_t>(query.limit));
  DbResult r = db.query(sql, params);
  std::vector<RunRecord> runs;
  for (const auto& row : r.rows) {
    RunRecord rec;
    rec.run_id = std::stoull(row[0].value_or("0"));
    rec.kind = row[1].value_or("");
    rec.trigger = row[2].value_or("");
    rec.status = row[3].value_or("");
    // DATE_FORMAT's %f has microseconds; the column keeps milliseconds.
    rec.started_at = row[4].value_or("").substr(0, 23);
    rec.finished_at = row[5] ? std::optional<std::string>(row[5]->substr(0, 23)) : std::nullopt;
    rec.duration_ms = as_uint(row[6]);
    rec.started_by = row[7];
    rec.host = row[8];
    rec.pid = as_uint(row[9]);
    rec.version = row[10];
    rec.customers = as_uint(row[11]);
    rec.segment_counts = row[12];
    rec.step_timings = row[13];
    rec.details = row[14];
    rec.message = row[15];
    runs.push_back(std::move(rec));
  }
  return runs;
}

std::string format_duration(std::optional<std::uint64_t> ms) {
  if (!ms) return "-";
  std::ostringstream out;
  if (*ms < 60000) {
    out << (*ms / 1000) << '.';
    out.width(3);
    out.fill('0');
    out << (*ms % 1000) << 's';
  } else {
    const auto seconds = *ms / 1000;
    out << seconds / 60 << 'm';
    out.width(2);
    out.fill('0');
    out << seconds % 60 << 's';
  }
  return out.str();
}

std::string format_runs_table(const std::vector<RunRecord>& runs) {
  const std::vector<std::string> header = {"RUN",           "KIND",     "TRIGGER",   "STATUS",
                                           "STARTED (UTC)", "DURATION", "CUSTOMERS", "MESSAGE"};
  std::vector<std::vector<std::string>> cells;
  for (const auto& r : runs) {
    cells.push_back({std::to_string(r.run_id), r.kind, r.trigger, r.status, r.started_at.substr(0, 19),
                     format_duration(r.duration_ms), r.customers ? std::to_string(*r.customers) : "-",
                     one_line(r.message.value_or(""))});
  }
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& row : cells) width[c] = std::max(width[c], row[c].size());
  }
  std::ostringstream out;
  auto emit = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(width[c] - row[c].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  };
  emit(header);
  for (const auto& row : cells) emit(row);
  if (runs.empty()) out << "(no runs recorded)\n";
  return out.str();
}

std::string format_run_detail(const RunRecord& r) {
  std::ostringstream out;
  auto line = [&](const std::string& key, const std::string& value) {
    out << key << ":" << std::string(key.size() < 16 ? 16 - key.size() : 1, ' ') << value << "\n";
  };
  line("run", std::to_string(r.run_id));
  line("kind", r.kind);
  line("trigger", r.trigger);
  line("status", r.status);
  line("started (UTC)", r.started_at);
  line("finished (UTC)", r.finished_at.value_or("-"));
  line("duration", format_duration(r.duration_ms));
  line("started by", r.started_by.value_or("-") + (r.host ? " on " + *r.host : "") +
                         (r.pid ? " pid " + std::to_string(*r.pid) : "") + (r.version ? " (" + *r.version + ")" : ""));
  if (r.customers) line("customers", std::to_string(*r.customers));
  line("message", one_line(r.message.value_or("")));
  const auto counts = json_or_null(r.segment_counts);
  if (counts.is_object()) {
    out << "segments:\n";
    for (const auto& [name, n] : counts.items()) out << "  " << name << ": " << n.dump() << "\n";
  }
  const auto steps = json_or_null(r.step_timings);
  if (steps.is_object()) {
    out << "step timings (ms):\n";
    for (const auto& [name, ms] : steps.items()) out << "  " << name << ": " << ms.dump() << "\n";
  }
  const auto details = json_or_null(r.details);
  if (details.is_object() && details.contains("files") && details["files"].is_array()) {
    out << "files:\n";
    for (const auto& f : details["files"]) {
      auto text = [&](const char* k) { return f.contains(k) && f[k].is_string() ? f[k].get<std::string>() : ""; };
      auto num = [&](const char* k) { return f.contains(k) ? f[k].dump() : "0"; };
      out << "  " << text("file") << "\n";
      out << "    status " << text("status") << ", dataset " << (text("dataset").empty() ? "-" : text("dataset"))
          << ", rows read " << num("rows_read") << ", loaded " << num("rows_loaded") << ", rejected "
          << num("rows_rejected") << "\n";
      if (!text("message").empty()) out << "    " << one_line(text("message")) << "\n";
      if (!text("rejects_file").empty()) out << "    rejects: " << text("rejects_file") << "\n";
    }
  }
  if (details.is_object() && details.contains("export") && details["export"].is_object()) {
    const auto& e = details["export"];
    auto text = [&](const char* k) { return e.contains(k) && e[k].is_string() ? e[k].get<std::string>() : ""; };
    if (text("status") == "written") {
      line("export", "set " + text("set") + " in " + text("dir") + ", " +
                         (e.contains("files") ? e["files"].dump() : "?") + " files, " +
                         (e.contains("rows") ? e["rows"].dump() : "?") + " rows");
    } else {
      line("export", "FAILED in " + text("dir") + ": " + one_line(text("error")));
    }
  }
  if (details.is_object() && details.contains("predictions") && details["predictions"].is_object()) {
    // The prediction step that followed this refresh (doc/PREDICTIONS.md).
    const auto& p = details["predictions"];
    auto text = [&](const char* k) { return p.contains(k) && p[k].is_string() ? p[k].get<std::string>() : ""; };
    auto fit = [&](const char* model, std::initializer_list<const char*> keys) {
      if (!p.contains(model) || !p[model].is_object()) return std::string("-");
      std::string s;
      for (const char* k : keys) {
        if (p[model].contains(k)) s += (s.empty() ? "" : " ") + std::string(k) + "=" + p[model][k].dump();
      }
      return s;
    };
    line("predictions", text("status") + (text("reason").empty() ? "" : ": " + one_line(text("reason"))));
    if (p.contains("bgnbd")) line("  BG/NBD (days)", fit("bgnbd", {"r", "alpha", "a", "b", "log_likelihood"}));
    if (p.contains("gammagamma")) line("  Gamma-Gamma", fit("gammagamma", {"p", "q", "gamma", "customers"}));
  }
  if (details.is_object() && details.contains("data_quality") && !details["data_quality"].empty()) {
    out << "data quality:\n";
    for (const auto& [name, n] : details["data_quality"].items()) out << "  " << name << ": " << n.dump() << "\n";
  }
  return out.str();
}

std::string format_runs_json(const std::vector<RunRecord>& runs) {
  nlohmann::json array = nlohmann::json::array();
  for (const auto& r : runs) {
    array.push_back({{"run_id", r.run_id},
                     {"kind", r.kind},
                     {"trigger", r.trigger},
                     {"status", r.status},
                     {"started_at", r.started_at},
                     {"finished_at", opt(r.finished_at)},
                     {"duration_ms", opt(r.duration_ms)},
                     {"started_by", opt(r.started_by)},
                     {"host", opt(r.host)},
                     {"pid", opt(r.pid)},
                     {"segmentd_version", opt(r.version)},
                     {"customers_segmented", opt(r.customers)},
                     {"segment_counts", json_or_null(r.segment_counts)},
                     {"step_timings", json_or_null(r.step_timings)},
                     {"details", json_or_null(r.details)},
                     {"message", opt(r.message)}});
  }
  return array.dump(2) + "\n";
}

}  // namespace segmentd
