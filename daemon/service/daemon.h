#pragma once
// `segmentd run`: the long-running service. One Boost.Asio loop on the main
// thread owns all decisions (signals, inbox events, timers, schedules); one
// worker thread owns the database session and does the slow work (loading a
// file, refreshing, exporting), one job at a time, so the loop stays
// responsive for signals and the systemd watchdog while a load runs.

#include <filesystem>

#include "config.h"

namespace segmentd {

// Runs until SIGTERM/SIGINT; returns the process exit code. `verbose`
// (-v) logs debug events whatever logging.level says.
int run_daemon(const std::filesystem::path& config_path, bool verbose);

}  // namespace segmentd
