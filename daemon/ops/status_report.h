#pragma once
// `segmentd status`: what an operator checks first. Reads the config, the
// inbox folder and, when reachable, the database; never changes anything.

#include <chrono>
#include <iosfwd>

#include "config.h"

namespace segmentd {

// Prints the report; returns kExitOk when the database is reachable,
// kExitUnavailable when it is not.
int print_status(const Config& config, std::ostream& out);

// Next `count` fire times of every schedule after `from`, one per line as
// "NAME<TAB>YYYY-MM-DDTHH:MM:SS±HH:MM" in the schedule's own zone.
void print_schedule(const Config& config, std::chrono::sys_seconds from, unsigned count, std::ostream& out);

}  // namespace segmentd
