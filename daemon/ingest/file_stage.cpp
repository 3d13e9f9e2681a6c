// One file's load, its rows: staged, checked for encoding, fields and
// duplicate keys, and merged into their table (file_ingest.h).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <thread>

#include "bulk_load.h"
#include "change_tracking.h"
#include "csv_reader.h"
#include "datasets.h"
#include "db_session.h"
#include "durable_file.h"
#include "errors.h"
#include "external_sort.h"
#include "field_validation.h"
#include "file_ingest.h"
#include "ingest_sql.h"
#include "load_scratch.h"
#include "log_event.h"
#include "named_lock.h"
#include "private_file.h"
#include "reference_gaps.h"
#include "rejects_writer.h"
#include "sha256.h"
#include "sort_key.h"
#include "text.h"
#include "transaction.h"
#include "unique_fd.h"
#include "write_set.h"

namespace segmentd {

using ingest_sql::kStage;

void FileIngest::create_stage(const Dataset& d) {
  drop_stage();
  db_.execute(ingest_sql::create_stage(d));
  stage_exists_ = true;
}

void FileIngest::drop_file_refs() {
  if (!file_refs_exist_) return;
  file_refs_exist_ = false;
  try {
    db_.execute(ingest_sql::drop_file_refs());
  } catch (const DbError&) {
    // The session is gone, and its temporary table with it.
  }
}

void FileIngest::drop_stage() {
  drop_feed_stage();
  drop_file_refs();
  if (!stage_exists_) return;
  stage_exists_ = false;
  try {
    db_.execute(ingest_sql::drop_stage());
  } catch (const DbError&) {
    // Gone with the session anyway.
  }
}

// A file in another encoding (a UTF-16 export from a spreadsheet) or not
// text at all is named as such, instead of as a header that matches no
// dataset with a message full of NUL bytes.
bool FileIngest::encoding_is_usable() {
  char head[4] = {};
  const ssize_t n = ::pread(fd_->get(), head, sizeof head, 0);
  const auto b = [&](int i) { return static_cast<unsigned char>(head[i]); };
  if (n >= 2 && ((b(0) == 0xFF && b(1) == 0xFE) || (b(0) == 0xFE && b(1) == 0xFF))) {
    out_.message = "line 1: is UTF-16 (byte-order mark " + std::string(b(0) == 0xFF ? "FF FE" : "FE FF") +
                   "); save the file as UTF-8";
    return false;
  }
  if (n >= 2 && (head[0] == '\0' || head[1] == '\0')) {
    out_.message = "line 1: contains NUL bytes: not a UTF-8 text file (UTF-16 without a byte-order mark?)";
    return false;
  }
  return true;
}

FileStatus FileIngest::stage_and_merge() {
  if (::lseek(fd_->get(), 0, SEEK_SET) != 0) {
    out_.message = "cannot rewind: " + std::string(std::strerror(errno));
    return FileStatus::Failed;
  }
  if (!encoding_is_usable()) return load_utf16_feed();
  CsvReader reader(fd_->get());
  CsvRecord record;
  HeaderMatch match;
  try {
    if (!reader.next(record)) {
      out_.message = "is empty: no header line";
      return FileStatus::Rejected;
    }
    match = recognise_header(record.fields);
  } catch (const CsvError& e) {
    out_.message = std::string("header: ") + e.what();
    return FileStatus::Rejected;
  } catch (const UserError& e) {
    return load_other_layout(fd_->get(), reader, record, e.what(), false);
  }
  const Dataset& d = *match.dataset;
  out_.dataset = std::string(d.name);
  const std::size_t header_fields = record.fields.size();

  const LoadPath path = resolve_load_path(db_, options_.load_path);
  out_.load_path = path == LoadPath::LoadData ? "load_data" : "insert";
  if (path == LoadPath::Insert) create_stage(d);

  std::unique_ptr<TempFile> tsv;
  std::ofstream tsv_out;
  if (path == LoadPath::LoadData) {
    tsv = std::make_unique<TempFile>(options_.temp_dir / scratch_name(kStagePrefix, ".tsv"));
    create_private_file(tsv->path());  // the normalised copy is customer data
    tsv_out.open(tsv->path(), std::ios::binary | std::ios::trunc);
    if (!tsv_out) {
      throw IoError("cannot write scratch file in " + options_.temp_dir.string() + ": " + std::strerror(errno), errno);
    }
  }
  RejectsWriter rejects(rejects_path());
  std::string line_buf;
  std::vector<DbParam> batch;
  std::size_t batch_rows = 0;
  std::uint64_t staged = 0;
  const std::size_t ncols = d.columns.size();
  std::vector<FieldCheck> checks(ncols);
  std::vector<std::size_t> key_fields;  // CSV field of each key column
  std::vector<ColumnType> key_types;
  for (auto k : d.key) {
    for (std::size_t c = 0; c < ncols; ++c) {
      if (d.columns[c].column == k) {
        key_fields.push_back(match.field_of_column[c]);
        key_types.push_back(d.columns[c].type);
      }
    }
  }
  std::string sort_key;
  // A keyed file is loaded in primary-key order, which also brings any
  // key repeated within the file next to itself; geolocation, whose rows
  // are numbered as they come, in file order.
  std::unique_ptr<ExternalSorter> sorter;
  if (tsv && !key_fields.empty()) {
    sorter = std::make_unique<ExternalSorter>(tsv->path().string() + ".sort", options_.sort_memory);
  }

  try {
    while (reader.next(record)) {
      if ((++out_.rows_read & 4095) == 0) throw_if_cancelled();
      std::string reason;
      if (record.fields.size() != header_fields) {
        reason = "expected " + std::to_string(header_fields) + " fields, found " + std::to_string(record.fields.size());
      } else {
        for (std::size_t c = 0; c < ncols && reason.empty(); ++c) {
          checks[c] = check_field(d.columns[c], record.fields[match.field_of_column[c]]);
          if (!checks[c].ok) reason = checks[c].error;
        }
      }
      if (!reason.empty()) {
        ++out_.rows_rejected;
        if (first_reject_.empty()) first_reject_ = "line " + std::to_string(record.line) + ": " + reason;
        rejects.add(record.line, reason, record.raw);
        continue;
      }
      if (out_.rows_rejected > options_.max_rejected_rows) continue;  // refused anyway; keep counting
      ++staged;
      if (path == LoadPath::LoadData) {
        line_buf.clear();
        for (std::size_t c = 0; c < ncols; ++c) {
          if (checks[c].is_null) {
            line_buf += "\\N";
          } else {
            append_tsv(line_buf, record.fields[match.field_of_column[c]]);
          }
          line_buf += '\t';
        }
        line_buf += std::to_string(record.line);
        line_buf += '\n';
        if (sorter) {
          sort_key.clear();
          for (std::size_t k = 0; k < key_fields.size(); ++k) {
            append_sort_key_part(sort_key, key_types[k], record.fields[key_fields[k]]);
          }
          sorter->add(sort_key, line_buf);
        } else {
          tsv_out.write(line_buf.data(), static_cast<std::streamsize>(line_buf.size()));
        }
      } else {
        for (std::size_t c = 0; c < ncols; ++c) {
          if (checks[c].is_null) {
            batch.emplace_back(nullptr);
          } else {
            batch.emplace_back(std::move(record.fields[match.field_of_column[c]]));
          }
        }
        batch.emplace_back(static_cast<std::int64_t>(record.line));
        if (++batch_rows == kInsertBatchRows) {
          insert_batch(d, batch, batch_rows);
          batch.clear();
          batch_rows = 0;
        }
      }
    }
  } catch (const CsvError& e) {
    out_.message = e.what();
    return FileStatus::Rejected;
  }
  if (batch_rows > 0) insert_batch(d, batch, batch_rows);

  // The normalised copy is loaded straight into the table, inside the
  // merge transaction, when no key repeats within the file: always for
  // the key-less geolocation, and for keyed datasets when the sorted keys
  // hold no two equal neighbours. Otherwise it goes through the staging
  // table, where the server finds and reports the repeats. The direct
  // path halves the server's work.
  const bool within_limit = out_.rows_rejected <= options_.max_rejected_rows;
  bool keys_distinct = true;
  if (within_limit && sorter) {
    try {
      keys_distinct = sorter->write_sorted(tsv_out);
    } catch (const ExternalSortError& e) {
      out_.message = e.what();
      return FileStatus::Failed;
    }
  }
  const bool direct = path == LoadPath::LoadData && staged > 0 && within_limit && keys_distinct;
  out_.staged = within_limit && !direct;
  if (within_limit && path == LoadPath::LoadData) {
    tsv_out.close();
    if (!tsv_out) {
      throw IoError("cannot write scratch file " + tsv->path().string() + ": " + std::strerror(errno), errno);
    }
    if (!direct) {
      create_stage(d);
      if (staged > 0) {
        db_.execute(ingest_sql::load_scratch(tsv->path(), kStage, ingest_sql::column_list(d) + ", _line", false));
        if (!check_no_warnings("staging load")) return FileStatus::Failed;
      }
    }
  }

  if (within_limit && !d.key.empty() && !direct) find_duplicate_keys(d, rejects);

  out_.rejects_file = rejects.commit();
  if (out_.rows_rejected > options_.max_rejected_rows) {
    out_.message = std::to_string(out_.rows_rejected) + " row(s) rejected, more than ingest.max_rejected_rows=" +
                   std::to_string(options_.max_rejected_rows) + "; nothing loaded. First: " + first_reject_;
    return FileStatus::Rejected;
  }
  if (d.key.empty() && out_.rows_read == out_.rows_rejected && !options_.allow_empty_replace &&
      !db_.query(ingest_sql::any_row(d)).rows.empty()) {
    out_.message = "has no data rows; loading it would empty " + std::string(d.table) +
                   " (it replaces the whole table). Refused; set ingest.allow_empty_replace to allow it";
    return FileStatus::Rejected;
  }
  const auto file_rows = prepare_file_rows(d, direct ? tsv->path() : std::filesystem::path());
  merge_retrying(d, direct ? tsv->path() : std::filesystem::path(), file_rows);
  return FileStatus::Loaded;
}

// Where the server can read the file's keys and references while the
// reference gaps are kept (reference_gaps.h): the staging table, or for
// a directly loaded file a narrow copy of those columns, made before the
// merge's transaction (no temporary-table DDL inside one). None for a
// dataset in no check, or a file so large that counting its checks over
// the whole table costs no more.
std::optional<std::string> FileIngest::prepare_file_rows(const Dataset& d, const std::filesystem::path& direct_tsv) {
  const auto columns = reference_columns(d);
  if (columns.empty() || out_.rows_read > kFileGapRowsLimit) return std::nullopt;
  if (direct_tsv.empty()) return std::string(ingest_sql::kStage);
  drop_file_refs();
  db_.execute(ingest_sql::create_file_refs(d));
  file_refs_exist_ = true;
  db_.execute(
      ingest_sql::load_scratch(direct_tsv, ingest_sql::kFileRefs, ingest_sql::file_refs_columns(d, columns), false));
  if (!check_no_warnings("reference copy load")) throw DbError(out_.message, server_error::kWarningAsError, "HY000");
  return std::string(ingest_sql::kFileRefs);
}

// A deadlock, or on Galera a certification conflict with another node's
// commit (both error 1213), rolled the whole transaction back: it is run
// again, a few times, before it counts as the file's failure.
void FileIngest::merge_retrying(const Dataset& d, const std::filesystem::path& direct_tsv,
                                const std::optional<std::string>& file_rows) {
  retrying_merge([&] { merge(d, direct_tsv, file_rows); });
}

void FileIngest::retrying_merge(const std::function<void()>& merge_once) {
  constexpr int kAttempts = 4;
  const auto limits = read_write_set_limits(db_);
  std::optional<StreamingReplication> stream;
  if (const auto fragment = streaming_fragment(limits)) stream.emplace(db_, *fragment);
  for (int attempt = 1;; ++attempt) {
    try {
      merge_once();
      out_.streamed = stream.has_value();
      return;
    } catch (const DbError& e) {
      if (e.code() != server_error::kDeadlock || attempt == kAttempts) throw;
      log_event(spdlog::level::warn, "ingest.retry",
                {{"file", out_.name},
                 {"attempt", std::to_string(attempt)},
                 {"error", std::to_string(e.code()) + ": " + e.what()}});
      std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt));
    }
  }
}

void FileIngest::commit_loaded(Transaction& transaction, const std::string& what, const std::string& also) {
  out_.rows_loaded = out_.rows_read - out_.rows_rejected;
  out_.status = FileStatus::Loaded;
  out_.message = std::to_string(out_.rows_loaded) + " row(s) " + what +
                 (out_.rows_rejected ? ", " + std::to_string(out_.rows_rejected) + " rejected" : "") + also;
  insert_ledger();
  if (options_.before_commit) options_.before_commit(path_);
  // After the last read: the ledger describes the file only if it is
  // still the one hashed (an append during the load is rolled back).
  ensure_unchanged("while it was loaded");
  transaction.commit();
}

void FileIngest::insert_batch(const Dataset& d, const std::vector<DbParam>& values, std::size_t rows) {
  db_.update(ingest_sql::insert_stage_rows(d, rows), values);
  if (!check_no_warnings("staging insert")) throw DbError(out_.message, server_error::kWarningAsError, "HY000");
}

bool FileIngest::check_no_warnings(const std::string& step, bool duplicates_expected) {
  auto w = db_.warnings();
  // 1287: "'VALUES function' is deprecated" on MySQL 8 — about our SQL, not the data.
  // 1062: a key INSERT IGNORE found already there, when that is what it is for.
  std::erase_if(w, [&](const std::string& s) {
    return s.rfind("1287:", 0) == 0 || (duplicates_expected && s.rfind("1062:", 0) == 0);
  });
  if (w.empty()) return true;
  out_.message = "the server warned during the " + step + " (treated as an error): " + w.front();
  if (w.size() > 1) out_.message += " (and " + std::to_string(w.size() - 1) + " more)";
  return false;
}

void FileIngest::find_duplicate_keys(const Dataset& d, RejectsWriter& rejects) {
  db_.execute(ingest_sql::kLongGroupConcat);
  DbResult r = db_.query(ingest_sql::repeated_keys(d), {static_cast<std::int64_t>(options_.max_rejected_rows) + 2});
  if (r.rows.empty()) return;
  std::map<std::uint64_t, std::string> duplicate_lines;  // line -> reason
  for (const auto& row : r.rows) {
    const std::string first = row[1].value_or("?");
    std::string lines = row[2].value_or("");
    std::size_t start = 0;
    bool skipped_first = false;
    while (start <= lines.size()) {
      const auto comma = lines.find(',', start);
      const std::string n = lines.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!n.empty()) {
        if (skipped_first) {
          duplicate_lines[std::stoull(n)] =
              "duplicate key (" + row[0].value_or("") + ") within the file; first on line " + first;
        }
        skipped_first = true;
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  for (const auto& [line, reason] : duplicate_lines) {
    ++out_.rows_rejected;
    db_.update(ingest_sql::delete_staged_line(), {static_cast<std::int64_t>(line)});
    if (first_reject_.empty()) first_reject_ = "line " + std::to_string(line) + ": " + reason;
  }
  // The raw records come from a second read of just those lines.
  if (::lseek(fd_->get(), 0, SEEK_SET) == 0) {
    CsvReader again(fd_->get());
    CsvRecord rec;
    try {
      while (again.next(rec)) {
        auto it = duplicate_lines.find(rec.line);
        if (it != duplicate_lines.end()) rejects.add(rec.line, it->second, rec.raw);
      }
    } catch (const CsvError&) {
    }
  }
}

// `direct_tsv`: load this normalised file into the table itself rather
// than copying from the staging table (its keys are known to be distinct).
// `file_rows`: where the file's rows can be read (prepare_file_rows).
void FileIngest::merge(const Dataset& d, const std::filesystem::path& direct_tsv,
                       const std::optional<std::string>& file_rows) {
  const bool bulk_capable =
      !direct_tsv.empty() && bulk_loads_empty_tables(query_value(db_, ingest_sql::kServerVersion).value_or(""));
  throw_if_cancelled();
  Transaction transaction(db_);
  try {
    // An empty table has nothing to replace, and a load without REPLACE
    // is one the server can build the indexes of in bulk (bulk_load.h).
    const bool into_empty = db_.query(ingest_sql::any_row(d)).rows.empty();
    // A geolocation file has no natural key: it replaces the whole table.
    // Skipped when there is nothing to delete, because rows deleted in this
    // transaction would keep the table from counting as empty for a bulk load.
    if (d.key.empty() && !into_empty) db_.execute(ingest_sql::delete_all(d));
    // Into an empty table the file is the table: its checks are counted
    // whole, and nothing is written before the load (the bulk path).
    ReferenceGapUpdate gaps(db_, d, into_empty ? std::nullopt : file_rows, into_empty);
    gaps.before_merge();
    std::optional<BulkLoadSession> bulk;
    std::optional<UntrackedLoad> untracked;
    if (tracked_by_refresh(d) && (into_empty || out_.rows_read > kTrackedRowsLimit)) untracked.emplace(db_);
    if (!direct_tsv.empty()) {
      if (into_empty && bulk_capable) bulk.emplace(db_);
      db_.execute(ingest_sql::load_scratch(direct_tsv, d.table, ingest_sql::column_list(d) + ", @line",
                                           !d.key.empty() && !into_empty));
    } else {
      db_.execute(ingest_sql::merge_from_stage(d));
    }
    if (!check_no_warnings("merge")) throw DbError(out_.message, server_error::kWarningAsError, "HY000");
    if (untracked) untracked->logged();
    gaps.after_merge();
    out_.bulk = bulk.has_value();
    bulk.reset();
    untracked.reset();
    commit_loaded(transaction, "loaded into " + std::string(d.table), "");
  } catch (...) {
    out_.status = FileStatus::Failed;
    out_.rows_loaded = 0;
    out_.bulk = false;
    throw;
  }
}

}  // namespace segmentd
