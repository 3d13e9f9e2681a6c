#pragma once
// What happened to one file given to ingest. The first four are the
// ledger's statuses (ingested_files.status); Interrupted is a load stopped
// by shutdown before its commit (nothing applied, the file stays).

namespace segmentd {

enum class FileStatus { Loaded, Duplicate, Rejected, Failed, Interrupted };

constexpr const char* to_string(FileStatus s) {
  switch (s) {
    case FileStatus::Loaded:
      return "loaded";
    case FileStatus::Duplicate:
      return "duplicate";
    case FileStatus::Rejected:
      return "rejected";
    case FileStatus::Failed:
      return "failed";
    case FileStatus::Interrupted:
      return "interrupted";
  }
  return "failed";
}

}  // namespace segmentd
