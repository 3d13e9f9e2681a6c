// One file's load when it is not an Olist file: a shop platform's export
// (a feed) or a currency-rates file (doc/FEEDS.md). The rows are read
// into orders and refunds (feeds/), staged, and in one transaction with
// the ledger row kept in feed_orders and projected into the canonical
// tables the model reads (file_ingest.h).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include "bulk_load.h"
#include "change_tracking.h"
#include "csv_reader.h"
#include "datasets.h"
#include "db_session.h"
#include "feed_rows.h"
#include "feed_sql.h"
#include "feed_values.h"
#include "file_ingest.h"
#include "ingest_sql.h"
#include "load_scratch.h"
#include "log_event.h"
#include "private_file.h"
#include "rejects_writer.h"
#include "text.h"
#include "text_encoding.h"
#include "transaction.h"

namespace segmentd {
namespace {

std::size_t utf8_chars(const std::string& s) {
  std::size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

// The columns' limits (V020): a longer value is a rejected row, not a cut one.
std::string too_long(const FeedRecord& r) {
  if (utf8_chars(r.order_key) > 255) return "order key longer than 255 characters";
  if (utf8_chars(r.customer_key) > 320) return "customer key longer than 320 characters";
  if (utf8_chars(r.email) > 320) return "e-mail longer than 320 characters";
  if (utf8_chars(r.status) > 64) return "status longer than 64 characters";
  return {};
}

void append_field(std::string& line, const std::string& value) {
  append_tsv(line, value);
  line += '\t';
}

void append_null_or(std::string& line, bool null, const std::string& value) {
  if (null) {
    line += "\\N\t";
  } else {
    append_field(line, value);
  }
}

// The staged row, in feed_sql::kStageColumns order.
std::vector<DbParam> stage_values(const FeedRecord& r, const std::string& base) {
  const bool refund = r.kind == FeedRowKind::Refund;
  std::vector<DbParam> v;
  v.emplace_back(static_cast<std::int64_t>(r.line));
  v.emplace_back(std::string(refund ? "r" : "o"));
  v.emplace_back(r.order_id);
  v.emplace_back(r.order_key);
  v.emplace_back(r.customer_id);
  v.emplace_back(r.customer_key);
  v.emplace_back(r.email.empty() ? DbParam(nullptr) : DbParam(r.email));
  v.emplace_back(r.consent ? DbParam(std::string(*r.consent ? "1" : "0")) : DbParam(nullptr));
  v.emplace_back(refund ? DbParam(nullptr) : DbParam(utc_text(r.purchased_at)));
  v.emplace_back(r.status);
  v.emplace_back(std::string(r.status_counted ? "1" : "0"));
  v.emplace_back(std::string(r.cancelled ? "1" : "0"));
  v.emplace_back(r.currency.empty() ? base : r.currency);
  v.emplace_back(money_text(r.amount));
  v.emplace_back(money_text(r.refunded));
  v.emplace_back(r.converted_net ? DbParam(money_text(*r.converted_net)) : DbParam(nullptr));
  v.emplace_back(r.exchange_rate.empty() ? DbParam(nullptr) : DbParam(r.exchange_rate));
  return v;
}

std::string stage_line(const FeedRecord& r, const std::string& base) {
  const bool refund = r.kind == FeedRowKind::Refund;
  std::string line;
  append_field(line, std::to_string(r.line));
  append_field(line, refund ? "r" : "o");
  append_field(line, r.order_id);
  append_field(line, r.order_key);
  append_field(line, r.customer_id);
  append_field(line, r.customer_key);
  append_null_or(line, r.email.empty(), r.email);
  append_null_or(line, !r.consent.has_value(), r.consent && *r.consent ? "1" : "0");
  append_null_or(line, refund, refund ? "" : utc_text(r.purchased_at));
  append_field(line, r.status);
  append_field(line, r.status_counted ? "1" : "0");
  append_field(line, r.cancelled ? "1" : "0");
  append_field(line, r.currency.empty() ? base : r.currency);
  append_field(line, money_text(r.amount));
  append_field(line, money_text(r.refunded));
  append_null_or(line, !r.converted_net.has_value(), r.converted_net ? money_text(*r.converted_net) : "");
  append_null_or(line, r.exchange_rate.empty(), r.exchange_rate);
  line.back() = '\n';
  return line;
}

std::string insert_rows_sql(const char* table, const char* columns, int per_row, std::size_t rows) {
  std::string one = "(";
  for (int i = 0; i < per_row; ++i) one += i ? ",?" : "?";
  one += ")";
  std::string sql = std::string("INSERT INTO ") + table + " (" + columns + ") VALUES ";
  for (std::size_t i = 0; i < rows; ++i) sql += (i ? "," : "") + one;
  return sql;
}

}  // namespace

void FileIngest::drop_feed_stage() {
  if (!feed_stage_exists_) return;
  feed_stage_exists_ = false;
  try {
    db_.execute(feed_sql::kDropStage);
    db_.execute(feed_sql::kDropRatesStage);
  } catch (const DbError&) {
    // Gone with the session anyway.
  }
}

// A UTF-16 file (a byte-order mark) is read when a feed says its exports
// are UTF-16: transcoded to a private scratch copy first.
FileStatus FileIngest::load_utf16_feed() {
  char head[2] = {};
  const bool bom = ::pread(fd_->get(), head, 2, 0) == 2 && starts_with_utf16_bom(head, 2);
  const bool wanted = std::any_of(options_.feeds.begin(), options_.feeds.end(),
                                  [](const FeedSpec& f) { return f.encoding == FeedEncoding::Utf16; });
  if (!bom || !wanted) return FileStatus::Rejected;  // encoding_is_usable() said why
  TempFile utf8(options_.temp_dir / scratch_name(kStagePrefix, ".utf8"));
  const auto result = transcode_utf16_file(fd_->get(), utf8.path());
  if (!result.ok) {
    out_.message = "line " + std::to_string(result.bad_line) + ": not valid UTF-16: " + result.reason;
    return FileStatus::Rejected;
  }
  const int fd = ::open(utf8.path().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IoError("cannot read scratch file: " + std::string(std::strerror(errno)), errno);
  transcoded_fd_ = std::make_unique<UniqueFd>(fd);
  CsvReader reader(fd);
  CsvRecord header;
  try {
    if (!reader.next(header)) {
      out_.message = "is empty: no header line";
      return FileStatus::Rejected;
    }
  } catch (const CsvError& e) {
    out_.message = std::string("header: ") + e.what();
    return FileStatus::Rejected;
  }
  return load_other_layout(fd, reader, header, "a UTF-16 file matches no Olist dataset", true);
}

FileStatus FileIngest::load_other_layout(int fd, CsvReader& comma_reader, const CsvRecord& header,
                                         const std::string& olist_error, bool transcoded) {
  if (!transcoded && is_rates_header(header.fields)) return load_rates(comma_reader, header.fields.size());
  // Feeds by delimiter: commas use the header already read; another
  // delimiter reads it again.
  std::vector<char> delimiters = {','};
  for (const auto& f : options_.feeds) {
    if (std::find(delimiters.begin(), delimiters.end(), f.delimiter) == delimiters.end()) {
      delimiters.push_back(f.delimiter);
    }
  }
  const std::string file_name = path_.filename().string();
  std::string closest_error;
  std::size_t closest = 0;
  for (char delimiter : delimiters) {
    std::vector<FeedSpec> candidates;
    for (const auto& f : options_.feeds) {
      if (f.delimiter == delimiter && (!transcoded || f.encoding == FeedEncoding::Utf16)) candidates.push_back(f);
    }
    if (candidates.empty()) continue;
    std::unique_ptr<CsvReader> own;
    CsvReader* reader = &comma_reader;
    CsvRecord h = header;
    if (delimiter != ',') {
      if (::lseek(fd, 0, SEEK_SET) != 0) throw IoError("cannot rewind: " + std::string(std::strerror(errno)), errno);
      own = std::make_unique<CsvReader>(fd, 16 << 20, 1 << 20, delimiter);
      try {
        if (!own->next(h)) continue;
      } catch (const CsvError&) {
        continue;
      }
      reader = own.get();
    }
    FeedMatch m = match_feed(candidates, h.fields, file_name);
    if (m.binding) {
      // The binding points into `candidates`: keep the spec it names.
      const FeedSpec* spec = nullptr;
      for (const auto& f : options_.feeds) {
        if (f.name == m.binding->spec->name) spec = &f;
      }
      FeedBinding binding = *m.binding;
      binding.spec = spec;
      return load_feed(*reader, binding, h.fields.size(), fd);
    }
    if (m.error.rfind("header matches more than one feed", 0) == 0) {
      out_.message = "line 1: " + m.error;
      return FileStatus::Rejected;
    }
    if (closest_error.empty() || m.closest_found > closest) {
      closest = m.closest_found;
      closest_error = m.error;
    }
  }
  const bool feed_is_closer = closest > 0 && closest > olist_header_overlap(header.fields);
  out_.message = "line 1: " + (feed_is_closer ? closest_error : olist_error);
  return FileStatus::Rejected;
}

FileStatus FileIngest::load_feed(CsvReader& reader, const FeedBinding& binding, std::size_t header_fields, int fd) {
  const FeedSpec& spec = *binding.spec;
  out_.dataset = "feed:" + spec.name;
  if (!base_currency_matches()) return FileStatus::Rejected;
  const LoadPath path = resolve_load_path(db_, options_.load_path);
  out_.load_path = path == LoadPath::LoadData ? "load_data" : "insert";
  out_.staged = true;
  drop_feed_stage();
  db_.execute(feed_sql::kCreateStage);
  feed_stage_exists_ = true;

  std::unique_ptr<TempFile> tsv;
  std::ofstream tsv_out;
  if (path == LoadPath::LoadData) {
    tsv = std::make_unique<TempFile>(options_.temp_dir / scratch_name(kStagePrefix, ".tsv"));
    create_private_file(tsv->path());  // customer data
    tsv_out.open(tsv->path(), std::ios::binary | std::ios::trunc);
    if (!tsv_out) {
      throw IoError("cannot write scratch file in " + options_.temp_dir.string() + ": " + std::strerror(errno), errno);
    }
  }
  RejectsWriter rejects(rejects_path());
  FeedRowReader rows(binding, options_.base_currency);
  CsvRecord record;
  std::vector<DbParam> batch;
  std::size_t batch_rows = 0, staged = 0, ignored = 0;
  const auto flush = [&] {
    if (batch_rows == 0) return;
    db_.update(insert_rows_sql(feed_sql::kStageTable, feed_sql::kStageColumns, feed_sql::kStageColumnCount, batch_rows),
               batch);
    if (!check_no_warnings("staging insert")) throw DbError(out_.message, server_error::kWarningAsError, "HY000");
    batch.clear();
    batch_rows = 0;
  };
  try {
    while (reader.next(record)) {
      if ((++out_.rows_read & 4095) == 0) throw_if_cancelled();
      std::string reason;
      std::optional<FeedRecord> r;
      if (record.fields.size() != header_fields) {
        reason = "expected " + std::to_string(header_fields) + " fields, found " + std::to_string(record.fields.size());
      } else {
        r = rows.read(record.fields, record.line, reason);
        if (r) reason = too_long(*r);
      }
      if (!reason.empty()) {
        ++out_.rows_rejected;
        if (first_reject_.empty()) first_reject_ = "line " + std::to_string(record.line) + ": " + reason;
        rejects.add(record.line, reason, record.raw);
        continue;
      }
      if (r->kind == FeedRowKind::Ignored) {
        ++ignored;
        continue;
      }
      if (out_.rows_rejected > options_.max_rejected_rows) continue;  // refused anyway; keep counting
      ++staged;
      if (tsv) {
        const std::string line = stage_line(*r, options_.base_currency);
        tsv_out.write(line.data(), static_cast<std::streamsize>(line.size()));
      } else {
        for (auto& v : stage_values(*r, options_.base_currency)) batch.push_back(std::move(v));
        if (++batch_rows == kInsertBatchRows / 4) flush();
      }
    }
  } catch (const CsvError& e) {
    out_.message = e.what();
    return FileStatus::Rejected;
  }
  const bool within_limit = out_.rows_rejected <= options_.max_rejected_rows;
  if (within_limit) {
    flush();
    if (tsv) {
      tsv_out.close();
      if (!tsv_out) {
        throw IoError("cannot write scratch file " + tsv->path().string() + ": " + std::strerror(errno), errno);
      }
      if (staged > 0) {
        db_.execute(ingest_sql::load_scratch(tsv->path(), feed_sql::kStageTable, feed_sql::kStageColumns, false));
        if (!check_no_warnings("staging load")) return FileStatus::Failed;
      }
    }
    reject_repeated(feed_sql::kRepeatedKeys, feed_sql::kDeleteStagedLine,
                    "order key given twice in the file (an order's rows must be contiguous)", rejects, fd,
                    spec.delimiter);
  }
  out_.rejects_file = rejects.commit();
  if (out_.rows_rejected > options_.max_rejected_rows) {
    out_.message = std::to_string(out_.rows_rejected) + " row(s) rejected, more than ingest.max_rejected_rows=" +
                   std::to_string(options_.max_rejected_rows) + "; nothing loaded. First: " + first_reject_;
    return FileStatus::Rejected;
  }
  retrying_merge([&] { merge_feed(spec.name, false); });
  out_.message += ignored ? " (" + std::to_string(ignored) + " row(s) were line items, memos or money out)" : "";
  return FileStatus::Loaded;
}

// date,currency,rate: 1 unit of currency in base units from that date on.
FileStatus FileIngest::load_rates(CsvReader& reader, std::size_t header_fields) {
  out_.dataset = "currency_rates";
  if (!base_currency_matches()) return FileStatus::Rejected;
  out_.load_path = "insert";
  out_.staged = true;
  drop_feed_stage();
  db_.execute(feed_sql::kCreateRatesStage);
  feed_stage_exists_ = true;
  RejectsWriter rejects(rejects_path());
  CsvRecord record;
  try {
    while (reader.next(record)) {
      ++out_.rows_read;
      std::string reason;
      std::string date, currency, rate;
      if (record.fields.size() != header_fields) {
        reason = "expected 3 fields, found " + std::to_string(record.fields.size());
      } else {
        date = trimmed(record.fields[0]);
        currency = trimmed(record.fields[1]);
        rate = trimmed(record.fields[2]);
        std::string error;
        const auto day = parse_feed_time(date, {"%Y-%m-%d"}, "UTC", error);
        const auto value = parse_money(rate, false, error);
        if (!day) {
          reason = "date '" + date + "' is not YYYY-MM-DD";
        } else if (currency.size() != 3 ||
                   !std::all_of(currency.begin(), currency.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
          reason = "currency '" + currency + "' is not a 3-letter upper-case code";
        } else if (currency == options_.base_currency) {
          reason = "currency " + currency + " is the base currency";
        } else if (rate.find_first_not_of("0123456789.") != std::string::npos || !value || *value <= 0) {
          reason = "rate '" + rate + "' is not a positive decimal number";
        } else if (rate.size() > 30) {
          reason = "rate '" + rate + "' has too many digits";
        }
      }
      if (!reason.empty()) {
        ++out_.rows_rejected;
        if (first_reject_.empty()) first_reject_ = "line " + std::to_string(record.line) + ": " + reason;
        rejects.add(record.line, reason, record.raw);
        continue;
      }
      db_.update(feed_sql::kInsertRateRow, {static_cast<std::int64_t>(record.line), currency, date, rate});
    }
  } catch (const CsvError& e) {
    out_.message = e.what();
    return FileStatus::Rejected;
  }
  reject_repeated(feed_sql::kRepeatedRates, feed_sql::kDeleteRateLine, "rate given twice in the file", rejects,
                  fd_->get(), ',');
  out_.rejects_file = rejects.commit();
  if (out_.rows_rejected > options_.max_rejected_rows) {
    out_.message = std::to_string(out_.rows_rejected) + " row(s) rejected, more than ingest.max_rejected_rows=" +
                   std::to_string(options_.max_rejected_rows) + "; nothing loaded. First: " + first_reject_;
    return FileStatus::Rejected;
  }
  retrying_merge([&] { merge_feed("", true); });
  return FileStatus::Loaded;
}

void FileIngest::reject_repeated(const char* query, const char* delete_line, const std::string& what,
                                 RejectsWriter& rejects, int fd, char delimiter) {
  db_.execute(ingest_sql::kLongGroupConcat);
  DbResult r = db_.query(query, {static_cast<std::int64_t>(options_.max_rejected_rows) + 2});
  if (r.rows.empty()) return;
  std::map<std::uint64_t, std::string> lines;
  for (const auto& row : r.rows) {
    const std::string first = row[1].value_or("?");
    const std::string all = row[2].value_or("");
    std::size_t start = 0;
    while (start < all.size()) {
      const auto comma = all.find(',', start);
      const std::string n = all.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!n.empty() && n != first) {
        lines[std::stoull(n)] = what + " (" + row[0].value_or("") + "; first on line " + first + ")";
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  for (const auto& [line, reason] : lines) {
    ++out_.rows_rejected;
    db_.update(delete_line, {static_cast<std::int64_t>(line)});
    if (first_reject_.empty()) first_reject_ = "line " + std::to_string(line) + ": " + reason;
  }
  // The raw records come from a second read of the file.
  if (::lseek(fd, 0, SEEK_SET) != 0) return;
  CsvReader again(fd, 16 << 20, 1 << 20, delimiter);
  CsvRecord record;
  try {
    while (again.next(record)) {
      auto it = lines.find(record.line);
      if (it != lines.end()) rejects.add(record.line, it->second, record.raw);
    }
  } catch (const CsvError&) {
    // Read whole once already; a file changed since is caught before the commit.
  }
}

// The stored values are in one currency: a changed currency.base would
// mix two. Refused until the operator converts or starts afresh.
bool FileIngest::base_currency_matches() {
  const auto stored = query_value(db_, feed_sql::kReadBase);
  if (!stored || *stored == options_.base_currency) return true;
  out_.message = "the stored feed values are in " + *stored + " but currency.base is " + options_.base_currency +
                 "; nothing loaded (doc/FEEDS.md \"The rules\")";
  return false;
}

void FileIngest::merge_feed(const std::string& feed, bool rates) {
  throw_if_cancelled();
  // Into empty tables (a first load) nothing can be replaced: plain
  // inserts, built in bulk where the server can (bulk_load.h), and not
  // logged row by row for the incremental refresh (change_tracking.h).
  const bool into_empty = !rates && query_value(db_, feed_sql::kAnyCanonicalRow).value_or("1") == "0";
  const bool bulk_capable =
      into_empty && bulk_loads_empty_tables(query_value(db_, ingest_sql::kServerVersion).value_or(""));
  Transaction transaction(db_);
  try {
    db_.update(feed_sql::kSetBase, {options_.base_currency});
    db_.update(feed_sql::kClearTouched);
    // A load too big to log row by row says "anything changed" once.
    std::optional<UntrackedLoad> untracked;
    if (!rates && (into_empty || out_.rows_read > kTrackedRowsLimit)) untracked.emplace(db_);
    const std::string& base = options_.base_currency;
    // Every statement is checked: a server warning (a value that does not
    // fit) is an error for the file.
    const auto step = [&](const std::string& sql, const std::vector<DbParam>& params = {}) {
      const std::uint64_t rows = db_.update(sql, params);
      const bool ignores = sql.rfind("INSERT IGNORE", 0) == 0;
      if (!check_no_warnings("merge", ignores)) throw DbError(out_.message, server_error::kWarningAsError, "HY000");
      return rows;
    };
    const auto project = [&](bool staged, bool empty) {
      step(feed_sql::project_customers(staged, empty));
      step(feed_sql::project_orders(staged, empty));
      step(feed_sql::project_payments(staged, empty));
    };
    std::uint64_t touched = 0;
    if (rates) {
      step(feed_sql::kUpsertRates);
      touched = step(feed_sql::kTouchRated);
    } else {
      // Refunds first: the file's orders are computed with the refund rows
      // of this file and of every earlier one, in one pass over the stage.
      step(feed_sql::kUpsertRefunds, {feed});
      step(feed_sql::compute_orders(true), {base, base});
      step(feed_sql::kUpsertCustomers, {feed});
      {
        std::optional<BulkLoadSession> bulk;
        if (bulk_capable) bulk.emplace(db_);
        step(feed_sql::insert_orders(into_empty), {feed});
        project(true, into_empty);
        out_.bulk = bulk.has_value();
      }
      // Charges of earlier files that this file's refund rows reduce.
      touched = step(feed_sql::kTouchRefunded);
    }
    // Only when there are any: over none, the IN (...) still reads every
    // stored order.
    if (touched > 0) {
      step(feed_sql::compute_orders(false), {base, base});
      project(false, false);
    }
    if (untracked) untracked->logged();
    untracked.reset();
    out_.held.clear();
    for (const auto& row : db_.query(feed_sql::kHeldByCurrency).rows) {
      out_.held += (out_.held.empty() ? "" : ", ") + row[0].value_or("?") + " " + row[1].value_or("0");
    }
    commit_loaded(transaction, std::string("loaded as ") + (rates ? "currency rates" : "feed " + feed),
                  out_.held.empty() ? "" : "; orders held for want of a rate: " + out_.held);
  } catch (...) {
    out_.status = FileStatus::Failed;
    out_.rows_loaded = 0;
    throw;
  }
}

}  // namespace segmentd
