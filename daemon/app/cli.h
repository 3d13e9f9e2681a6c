#pragma once
// The command line: parses arguments, runs one command, and turns every
// exception that reaches it into a message and an exit status.

#include "exit_status.h"

namespace segmentd {

int segmentd_main(int argc, char** argv);

}  // namespace segmentd
