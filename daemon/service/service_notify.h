#pragma once
// systemd's notify protocol (Type=notify). Every call is a no-op when not
// started by systemd (NOTIFY_SOCKET unset), so the daemon runs the same
// from a shell, a container or a test.

#include <chrono>
#include <optional>
#include <string>

namespace segmentd {

void notify_ready(const std::string& status);
void notify_reloading();
void notify_stopping();
void notify_status(const std::string& status);
void notify_watchdog();
// The WatchdogSec= interval systemd expects pings within, if enabled.
std::optional<std::chrono::microseconds> watchdog_interval();

}  // namespace segmentd
