#pragma once
// Moving a file out of the inbox (into processed/ or quarantine/) so that a
// crash at any moment leaves it whole in one place or the other, never
// overwrites a file already there, and never leaves a truncated copy under
// the final name.

#include <filesystem>
#include <optional>

#include "inbox_queue.h"

namespace segmentd {

// Prefix of the temporary copies a move across file systems makes, for the
// start-up sweep (private_file.h).
inline constexpr const char* kMoveTempPrefix = ".segmentd-move-";

// Moves `file` into `dir` under its own name, or "<stem>.<n><ext>" when that
// is taken; returns the destination. In one file system: link, then unlink
// the source. Across file systems: copy to a temporary name in `dir`, fsync,
// link it to the final name, unlink the temporary name, fsync `dir`, then
// unlink the source. Throws IoError; on failure the source is untouched and
// nothing is left in `dir`. With `expected`: moves only that file, unchanged
// (FileIdentity), checked once it is linked or copied; returns an empty path,
// nothing moved, when the name held another file or it changed.
std::filesystem::path move_into(const std::filesystem::path& file, const std::filesystem::path& dir,
                                const std::optional<FileIdentity>& expected = std::nullopt);

// Carries out `plan` for `file`: moves the file (move_into), then the load's
// rejects file beside it as NAME.rejects.csv, then, for a quarantined file,
// writes NAME.reason.txt (0600). Resumable: `plan` records what is done, so
// a retry after a failure does only the rest. Returns where the file went,
// or nullopt, moving nothing, when the name no longer is plan.loaded (a file
// renamed over it, or the file appended to since its load). Throws IoError.
std::optional<std::filesystem::path> carry_out(const std::filesystem::path& file, MovePlan& plan);

}  // namespace segmentd
