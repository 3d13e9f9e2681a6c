#pragma once
// What happened to one file given to ingest. The first four are the
// ledger's statuses (ingested_files.status); Interrupted is a load stopped
// by shutdown before its commit, Changed one whose file changed while it
// was read or was still open for writing (nothing applied either way; the
// file stays, and a changed one settles again).

namespace segmentd {

enum class FileStatus { Loaded, Duplicate, Rejected, Failed, Interrupted, Changed };

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
    case FileStatus::Changed:
      return "changed";
  }
  return "failed";
}

}  // namespace segmentd
