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

bool DbError::refuses_writes() const {
  using namespace server_error;
  return code_ == kReadOnlyOption || code_ == kReadOnlyTransaction || code_ == kReadOnlyMode || code_ == kNodeNotReady;
}

ErrorCategory DbError::categorize(int code) {
  using namespace server_error;
  switch (code) {
    case kCannotConnectSocket:
    case kCannotConnectTcp:
    case kUnknownHost:
    case kServerGone:
    case kServerLost:
    case kServerLostExtended:
    case kConnectionKilled:
    case kClientInteractionTimeout:
    case kReadOnlyOption:
    case kReadOnlyTransaction:
    case kReadOnlyMode:
    case kNodeNotReady:
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
