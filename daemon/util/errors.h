#pragma once
// segmentd's one error hierarchy. Every error a command can meet derives
// from segmentd::Error, so a command's boundary catches it (and
// std::exception) and turns it into a message and an exit status. Decisions
// (retry? give up?) are taken from typed fields, never from message text.

#include <stdexcept>
#include <string>

namespace segmentd {

// What a failure means for whoever might try again.
enum class ErrorCategory {
  Transient,  // try the same thing again later (deadlock, lock wait, busy)
  Permanent,  // trying again gives the same answer (bad SQL, bad data, a warning)
  // The session is gone, or the server will not do its work now (read-only,
  // a Galera node not ready): drop it, reconnect with backoff, try again.
  // The daemon reports "database unavailable" either way.
  ConnectionLost,
};

const char* to_string(ErrorCategory c);

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A configuration file problem; what() is "file:line:column: message".
class ConfigError : public Error {
 public:
  using Error::Error;
};

// Anything else the user should see as a one-line reason (missing file, etc.).
class UserError : public Error {
 public:
  using Error::Error;
};

// A file-system call that failed; what() names the path and the errno text
// (ENOSPC says "No space left on device", not whatever errno held later).
class IoError : public Error {
 public:
  IoError(const std::string& what, int error_number) : Error(what), errno_(error_number) {}
  int error_number() const { return errno_; }

 private:
  int errno_;
};

// Server error numbers segmentd decides on (MySQL and MariaDB share them).
namespace server_error {
inline constexpr int kWarningAsError = 0;  // segmentd's own: a server warning treated as an error
inline constexpr int kLockWaitTimeout = 1205;
inline constexpr int kDeadlock = 1213;
inline constexpr int kQueryInterrupted = 1317;
inline constexpr int kTooManyConnections = 1040;
inline constexpr int kIncorrectString = 1366;
inline constexpr int kConnectionKilled = 1927;          // MariaDB
inline constexpr int kClientInteractionTimeout = 4031;  // MySQL 8
inline constexpr int kCannotConnectSocket = 2002;
inline constexpr int kCannotConnectTcp = 2003;
inline constexpr int kUnknownHost = 2005;
inline constexpr int kServerGone = 2006;
inline constexpr int kServerLost = 2013;
inline constexpr int kServerLostExtended = 2055;
// A server that refuses writes: read_only / super_read_only (1290 "running
// with the --read-only option"), MySQL's transaction_read_only (1792) and
// MariaDB's read-only mode (1836), a Galera node that is not ready (1047
// "WSREP has not yet prepared node for application use").
inline constexpr int kReadOnlyOption = 1290;
inline constexpr int kReadOnlyTransaction = 1792;
inline constexpr int kReadOnlyMode = 1836;
inline constexpr int kNodeNotReady = 1047;
inline constexpr int kAccessDenied = 1045;               // login refused
inline constexpr int kSecureTransportRequired = 3159;    // MySQL: plaintext refused
inline constexpr int kTlsConnectionError = 2026;         // CR_SSL_CONNECTION_ERROR
inline constexpr int kAuthNeedsSecureConnection = 2061;  // caching_sha2 without TLS or key
}  // namespace server_error

// A database error with its server code, classified by category().
class DbError : public Error {
 public:
  DbError(const std::string& message, int code, std::string sql_state)
      : Error(message), code_(code), sql_state_(std::move(sql_state)) {}
  int code() const { return code_; }
  const std::string& sql_state() const { return sql_state_; }
  ErrorCategory category() const { return categorize(code_); }
  bool connection_lost() const { return category() == ErrorCategory::ConnectionLost; }
  // The server is there but will not write now (read-only, Galera node not
  // ready): the session still answers reads.
  bool refuses_writes() const;

  static ErrorCategory categorize(int code);

 private:
  int code_;
  std::string sql_state_;
};

// Nothing a retry can change (the schema needs a migrate, another daemon
// runs against the database): the daemon stops with an error.
class FatalError : public Error {
 public:
  using Error::Error;
};

// A server-side named lock (GET_LOCK) that another session held for longer
// than we were willing to wait: transient.
class LockBusy : public Error {
 public:
  using Error::Error;
};

}  // namespace segmentd
