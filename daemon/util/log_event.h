#pragma once
// One log line per event: a stable event name followed by key=value fields,
// e.g. `refresh.finished run_id=7 status=succeeded customers=96096`. Values
// with spaces, quotes or '=' are double-quoted so lines stay greppable.

#include <spdlog/spdlog.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace segmentd {

using LogField = std::pair<std::string_view, std::string>;

// "<3>" for errors, "<4>" warnings, "<6>" info, "<7>" debug, "<2>" critical.
std::string_view journal_priority_prefix(spdlog::level::level_enum level);

std::string format_event(std::string_view event, std::initializer_list<LogField> fields);

inline void log_event(spdlog::level::level_enum level, std::string_view event,
                      std::initializer_list<LogField> fields = {}) {
  if (spdlog::should_log(level)) spdlog::log(level, "{}", format_event(event, fields));
}

// Logs to stderr; under journald (JOURNAL_STREAM set) without timestamps of
// our own (it adds its own) and with each line's priority as a "<N>" prefix,
// with ISO timestamps otherwise.
void setup_logging(spdlog::level::level_enum level);

}  // namespace segmentd
