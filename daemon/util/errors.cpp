#include "errors.h"

namespace segmentd {

const char* to_string(ErrorCategory c) {
  switch (c) {
    case ErrorCategory::Transient:
      return "transient";
    case ErrorCategory::Permanent:
      return "permanent";
    case ErrorCategory::ConnectionLost:
      return "connection_lost";
  }
  return "permanent";
}

namespace {

bool refuses_writes_code(int code) {
  using namespace server_error;
  return code == kReadOnlyOption || code == kReadOnlyTransaction || code == kReadOnlyMode || code == kNodeNotReady;
}

}  // namespace

bool DbError::refuses_writes() const {
  return refuses_writes_code(code_);
}

ErrorCategory DbError::categorize(int code) {
  using namespace server_error;
  if (refuses_writes_code(code)) return ErrorCategory::ConnectionLost;
  switch (code) {
    case kCannotConnectSocket:
    case kCannotConnectTcp:
    case kUnknownHost:
    case kServerGone:
    case kServerLost:
    case kServerLostExtended:
    case kConnectionKilled:
    case kClientInteractionTimeout:
      return ErrorCategory::ConnectionLost;
    case kLockWaitTimeout:
    case kDeadlock:
    case kQueryInterrupted:
    case kTooManyConnections:
      return ErrorCategory::Transient;
    default:
      return ErrorCategory::Permanent;
  }
}

}  // namespace segmentd
