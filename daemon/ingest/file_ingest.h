#pragma once
// One file's load, used by ingest.cpp: open it as a regular file, hash it,
// skip a duplicate, stage and check its rows, merge them in one
// transaction with its ledger row, and say what happened. Split in two by
// what it does: the file (file_ingest.cpp) and its rows (file_stage.cpp).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <thread>

#include "bulk_load.h"
#include "csv_reader.h"
#include "datasets.h"
#include "db_session.h"
#include "durable_file.h"
#include "errors.h"
#include "external_sort.h"
#include "feed_rows.h"
#include "field_validation.h"
#include "ingest.h"
#include "ingest_sql.h"
#include "log_event.h"
#include "private_file.h"
#include "reference_gaps.h"
#include "sha256.h"
#include "sort_key.h"
#include "text.h"
#include "transaction.h"
#include "unique_fd.h"
#include "write_set.h"

namespace segmentd {

// Text columns of the ledger: names are escaped (lossless) and bounded by
// original_name's size (V008); messages stay far below TEXT's 64 KiB.
constexpr std::size_t kMaxNameBytes = 8192;
constexpr std::size_t kMaxMessageBytes = 4096;

constexpr std::size_t kInsertBatchRows = 1000;

struct Reject;
class RejectsWriter;

// The file changed while it was read (or is still open for writing): what
// was read is not what the ledger would describe, so nothing is applied.
struct FileChangedWhileRead : std::exception {
  explicit FileChangedWhileRead(std::string why) : why_(std::move(why)) {}
  const char* what() const noexcept override { return why_.c_str(); }

 private:
  std::string why_;
};

class FileIngest {
 public:
  FileIngest(DbSession& db, const std::filesystem::path& path, const IngestOptions& options,
             std::optional<std::uint64_t> run_id);
  // A deposed leader's file (LeaseLost, from any step that writes) is
  // interrupted: nothing of it was committed, and the leader loads it.
  FileOutcome run();
  void set_started_at(std::string s) { started_at_ = std::move(s); }

 private:
  // ---- the file: its identity, duplicates, outcome and ledger row (file_ingest.cpp)
  FileOutcome run_fenced();
  bool open_regular_file();
  bool hash_file();
  // Throws FileChangedWhileRead when the open file is no longer what was
  // opened (size, modification time): after hashing and before the commit.
  void ensure_unchanged(const char* when) const;
  // Throws FileChangedWhileRead when another process has the file open for
  // writing (a producer still at it, perhaps pausing); unknown (not the
  // file's owner, a file system without leases) counts as not.
  void ensure_not_being_written() const;
  bool find_duplicate();
  std::filesystem::path rejects_path() const;
  void throw_if_cancelled() const;
  void insert_ledger();
  // Records a file that was not loaded. When even its ledger row cannot be
  // written (the server refuses it), the outcome says so instead of
  // escaping as an exception; a lost connection still escapes.
  FileOutcome finish_unloaded(FileStatus status, ErrorCategory failure = ErrorCategory::Permanent);

  // ---- its rows: staged, checked and merged (file_stage.cpp)
  void create_stage(const Dataset& d);
  void drop_file_refs();
  void drop_stage();
  // A file in another encoding (a UTF-16 export from a spreadsheet) or not
  // text at all is named as such, instead of as a header that matches no
  // dataset with a message full of NUL bytes.
  bool encoding_is_usable();
  FileStatus stage_and_merge();
  // Where the server can read the file's keys and references while the
  // reference gaps are kept (reference_gaps.h): the staging table, or for
  // a directly loaded file a narrow copy of those columns, made before the
  // merge's transaction (no temporary-table DDL inside one). None for a
  // dataset in no check, or a file so large that counting its checks over
  // the whole table costs no more.
  std::optional<std::string> prepare_file_rows(const Dataset& d, const std::filesystem::path& direct_tsv);
  // A deadlock, or on Galera a certification conflict with another node's
  // commit (both error 1213), rolled the whole transaction back: it is run
  // again, a few times, before it counts as the file's failure.
  void merge_retrying(const Dataset& d, const std::filesystem::path& direct_tsv,
                      const std::optional<std::string>& file_rows);
  // The same for any one-transaction merge (a feed's): on Galera streamed
  // within the write-set limits (write_set.h), retried after a deadlock.
  void retrying_merge(const std::function<void()>& merge_once);
  // The end of a successful merge: the outcome ("N row(s) <what>[, M
  // rejected]<also>"), the ledger row, the test seam, the check that the
  // file is still the one read, and the commit.
  void commit_loaded(Transaction& transaction, const std::string& what, const std::string& also);
  void insert_batch(const Dataset& d, const std::vector<DbParam>& values, std::size_t rows);
  // `duplicates_expected`: an INSERT IGNORE's "duplicate entry" notes are
  // not the data's problems.
  bool check_no_warnings(const std::string& step, bool duplicates_expected = false);
  void find_duplicate_keys(const Dataset& d, RejectsWriter& rejects);
  // `direct_tsv`: load this normalised file into the table itself rather
  // than copying from the staging table (its keys are known to be distinct).
  // `file_rows`: where the file's rows can be read (prepare_file_rows).
  void merge(const Dataset& d, const std::filesystem::path& direct_tsv, const std::optional<std::string>& file_rows);

  // ---- a file that is not an Olist file: a feed or currency rates (feed_ingest.cpp)
  // `header` was read by `reader` (commas); `olist_error` says why no
  // Olist dataset took it.
  FileStatus load_other_layout(int fd, CsvReader& reader, const CsvRecord& header, const std::string& olist_error,
                               bool transcoded);
  FileStatus load_utf16_feed();
  // `fd`: the file the reader reads (the UTF-8 copy of a UTF-16 file).
  FileStatus load_feed(CsvReader& reader, const FeedBinding& binding, std::size_t header_fields, int fd);
  FileStatus load_rates(CsvReader& reader, std::size_t header_fields);
  // Rejects the later lines of each key given twice (rows of `query`:
  // key, first line, all lines), their raw records read again from `fd`.
  void reject_repeated(const char* query, const char* delete_line, const std::string& what, RejectsWriter& rejects,
                       int fd, char delimiter);
  bool base_currency_matches();
  void merge_feed(const std::string& feed, bool rates);
  void drop_feed_stage();

  DbSession& db_;
  std::filesystem::path path_;
  const IngestOptions& options_;
  std::optional<std::uint64_t> run_id_;
  FileOutcome out_;
  std::unique_ptr<UniqueFd> fd_;
  bool stage_exists_ = false;
  bool file_refs_exist_ = false;
  bool feed_stage_exists_ = false;
  std::unique_ptr<UniqueFd> transcoded_fd_;
  std::string first_reject_;
  std::string started_at_;
};

}  // namespace segmentd
