#pragma once
// Why a deliverable of a successful refresh (the export set, the report)
// was not published. The refresh stands either way; the failure is
// recorded in the run's details and logged. A lost connection is not one
// of these: it is thrown, and the job is retried after reconnecting.

#include <string>

#include "errors.h"

namespace segmentd {

struct PublishFailure {
  enum class Cause {
    Database,  // the server refused a statement (server_code says which)
    Files,     // the folder or the disk (a full disk says so in message)
  };
  Cause cause = Cause::Files;
  int server_code = 0;
  std::string message;

  // From what the writer threw; never called with a lost connection.
  static PublishFailure from(const DbError& e) { return {Cause::Database, e.code(), e.what()}; }
  static PublishFailure from(const Error& e) { return {Cause::Files, 0, e.what()}; }

  // One line for the log and the run's details: "database error N: ..." or
  // the file system's own message.
  std::string describe() const {
    return cause == Cause::Database ? "database error " + std::to_string(server_code) + ": " + message : message;
  }
};

}  // namespace segmentd
