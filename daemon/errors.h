#pragma once
// Error types. Expected failures the user can fix (bad config, bad input,
// a database that refuses) are distinct from programming errors, so the CLI
// can print the first kind plainly and exit with a meaningful status.

#include <stdexcept>
#include <string>

namespace segmentd {

// A configuration file problem; what() is "file:line:column: message".
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A database error, classified so callers can tell a lost connection (retry
// later) from a statement the server refused (report and move on).
class DbError : public std::runtime_error {
 public:
  DbError(const std::string& message, int code, std::string sql_state)
      : std::runtime_error(message), code_(code), sql_state_(std::move(sql_state)) {}
  int code() const { return code_; }
  const std::string& sql_state() const { return sql_state_; }
  // 2002/2003/2006/2013 and friends: the server is gone, not the statement wrong.
  bool connection_lost() const {
    return code_ == 2002 || code_ == 2003 || code_ == 2005 || code_ == 2006 || code_ == 2013 || code_ == 2055 ||
           code_ == 1927 || code_ == 4031;
  }

 private:
  int code_;
  std::string sql_state_;
};

// Anything else the user should see as a one-line reason (missing file, etc.).
class UserError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace segmentd
