// One file's load, the file's side: opened as a regular file, hashed,
// checked against the ledger, and its outcome recorded (file_ingest.h).
#include "file_ingest.h"

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

FileIngest::FileIngest(DbSession& db, const std::filesystem::path& path, const IngestOptions& options,
                       std::optional<std::uint64_t> run_id)
    : db_(db), path_(path), options_(options), run_id_(run_id) {
  out_.name = bounded_text(path.string(), kMaxNameBytes);
}

// A deposed leader's file (LeaseLost, from any step that writes) is
// interrupted: nothing of it was committed, and the leader loads it.
FileOutcome FileIngest::run() {
  try {
    return run_fenced();
  } catch (const LeaseLost& e) {
    drop_stage();
    out_.status = FileStatus::Interrupted;
    out_.rows_loaded = 0;
    out_.bulk = false;
    out_.fenced = true;
    out_.message = e.what();
    return out_;
  }
}

FileOutcome FileIngest::run_fenced() {
  try {
    if (!open_regular_file()) return finish_unloaded(FileStatus::Failed);
    if (!hash_file()) return finish_unloaded(FileStatus::Failed);
    if (find_duplicate()) return finish_unloaded(FileStatus::Duplicate);
    const FileStatus status = stage_and_merge();
    drop_stage();
    if (status != FileStatus::Loaded) return finish_unloaded(status);
    return out_;
  } catch (const DbError& e) {
    drop_stage();
    if (e.connection_lost()) throw;
    // A warning treated as an error already says what it is.
    out_.message = e.code() == server_error::kWarningAsError
                       ? std::string(e.what())
                       : std::string("database error ") + std::to_string(e.code()) + ": " + e.what();
    return finish_unloaded(FileStatus::Failed, e.category());
  } catch (const ExternalSortError& e) {
    // Scratch space (full, gone): not the file's fault; worth a retry.
    drop_stage();
    out_.message = e.what();
    return finish_unloaded(FileStatus::Failed, ErrorCategory::Transient);
  } catch (const IoError& e) {
    drop_stage();
    out_.message = e.what();
    const int n = e.error_number();
    const bool passes = n == ENOSPC || n == EDQUOT || n == EMFILE || n == ENFILE || n == ENOMEM;
    return finish_unloaded(FileStatus::Failed, passes ? ErrorCategory::Transient : ErrorCategory::Permanent);
  } catch (const IngestInterrupted&) {
    drop_stage();
    out_.status = FileStatus::Interrupted;
    out_.rows_loaded = 0;
    out_.message = "interrupted by shutdown before commit; nothing applied";
    return out_;
  } catch (const FileChangedWhileRead& e) {
    drop_stage();
    out_.status = FileStatus::Changed;
    out_.rows_loaded = 0;
    out_.bulk = false;
    out_.message = std::string(e.what()) + "; nothing applied, it is taken again once it settles";
    return out_;
  }
}

bool FileIngest::open_regular_file() {
  struct stat st {};
  if (::lstat(path_.c_str(), &st) != 0) {
    out_.message = "cannot read: " + std::string(std::strerror(errno));
    return false;
  }
  if (S_ISLNK(st.st_mode)) {
    out_.message = "is a symbolic link; only regular files are read";
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    out_.message = std::string("is not a regular file (") +
                   (S_ISDIR(st.st_mode)    ? "a directory"
                    : S_ISFIFO(st.st_mode) ? "a FIFO"
                                           : "a device or socket") +
                   ")";
    return false;
  }
  const int fd = ::open(path_.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    out_.message = "cannot read: " + std::string(std::strerror(errno));
    return false;
  }
  fd_ = std::make_unique<UniqueFd>(fd);
  struct stat fst {};
  if (::fstat(fd, &fst) != 0 || !S_ISREG(fst.st_mode) || fst.st_ino != st.st_ino) {
    out_.message = "changed while being opened; not read";
    return false;
  }
  out_.size = static_cast<std::uint64_t>(fst.st_size);
  out_.identity = FileIdentity::of(fst);
  ensure_not_being_written();
  return true;
}

void FileIngest::ensure_not_being_written() const {
  // A read lease is refused (EAGAIN) while any process has the file open
  // for writing; taken, it is given back at once.
  if (::fcntl(fd_->get(), F_SETLEASE, F_RDLCK) == 0) {
    ::fcntl(fd_->get(), F_SETLEASE, F_UNLCK);
    return;
  }
  if (errno == EAGAIN) throw FileChangedWhileRead("still open for writing by another process");
}

void FileIngest::ensure_unchanged(const char* when) const {
  const auto now = FileIdentity::of_fd(fd_->get());
  if (now && out_.identity && *now == *out_.identity) return;
  throw FileChangedWhileRead(std::string("changed ") + when + " (" + out_.identity->change_to(now) + ")");
}

bool FileIngest::hash_file() {
  Sha256 sha;
  std::string buf(1 << 20, '\0');
  std::uint64_t total = 0;
  while (true) {
    const ssize_t n = ::pread(fd_->get(), buf.data(), buf.size(), static_cast<off_t>(total));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      out_.message = "cannot read: " + std::string(std::strerror(errno));
      return false;
    }
    if (n == 0) break;
    sha.update(std::string_view(buf.data(), static_cast<std::size_t>(n)));
    total += static_cast<std::uint64_t>(n);
  }
  out_.sha256 = sha.hex_digest();
  out_.size = total;
  // What was hashed must be the whole file as opened: an append while
  // hashing (or a truncation) would give the ledger another file's hash.
  if (total != out_.identity->size) {
    throw FileChangedWhileRead("changed while it was hashed (size " + std::to_string(out_.identity->size) + " -> " +
                               std::to_string(total) + " bytes read)");
  }
  ensure_unchanged("while it was hashed");
  return true;
}

bool FileIngest::find_duplicate() {
  DbResult r = db_.query(ingest_sql::kFindLoadedBySha, {out_.sha256});
  if (r.rows.empty()) return false;
  out_.message = "same content as ingested file #" + r.rows[0][0].value_or("?") + " (" + r.rows[0][1].value_or("") +
                 "); nothing changed";
  return true;
}

std::filesystem::path FileIngest::rejects_path() const {
  const auto dir = options_.rejects_dir.empty() ? path_.parent_path() : options_.rejects_dir;
  return dir / (path_.filename().string() + ".rejects.csv");
}

void FileIngest::throw_if_cancelled() const {
  if (options_.cancel != nullptr && options_.cancel->load()) throw IngestInterrupted();
}

void FileIngest::insert_ledger() {
  out_.message = bounded_text(out_.message, kMaxMessageBytes);
  if (options_.fence) fence_write(db_, *options_.fence);
  db_.update(
      ingest_sql::kInsertLedger,
      {out_.name, out_.sha256, static_cast<std::int64_t>(out_.size),
       out_.dataset.empty() ? DbParam(nullptr) : DbParam(out_.dataset), static_cast<std::int64_t>(out_.rows_read),
       static_cast<std::int64_t>(out_.rows_loaded), static_cast<std::int64_t>(out_.rows_rejected),
       std::string(to_string(out_.status)), out_.load_path.empty() ? DbParam(nullptr) : DbParam(out_.load_path),
       run_id_ ? DbParam(static_cast<std::int64_t>(*run_id_)) : DbParam(nullptr), started_at_, out_.message});
  out_.ledger_id = last_insert_id(db_);
}

// Records a file that was not loaded. When even its ledger row cannot be
// written (the server refuses it), the outcome says so instead of
// escaping as an exception; a lost connection still escapes.
FileOutcome FileIngest::finish_unloaded(FileStatus status, ErrorCategory failure) {
  out_.status = status;
  out_.failure = failure;
  out_.rows_loaded = 0;
  try {
    // The fence and the row commit together (outside merge's transaction).
    std::optional<Transaction> fenced;
    if (options_.fence) fenced.emplace(db_);
    insert_ledger();
    if (fenced) fenced->commit();
  } catch (const DbError& e) {
    if (e.connection_lost()) throw;
    out_.status = FileStatus::Failed;
    out_.failure = e.category();
    out_.message = bounded_text(out_.message + "; the ledger row could not be written: database error " +
                                    std::to_string(e.code()) + ": " + e.what(),
                                kMaxMessageBytes);
  }
  return out_;
}

}  // namespace segmentd
