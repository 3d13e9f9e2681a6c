#include "db_worker.h"

namespace segmentd {

JobError classify_failure(const std::exception_ptr& failure, bool session_usable) {
  JobError out;
  try {
    std::rethrow_exception(failure);
  } catch (const DbError& e) {
    out = {e.category(), "database error " + std::to_string(e.code()) + ": " + e.what()};
  } catch (const FatalError& e) {
    out = {ErrorCategory::Permanent, e.what(), true};
    return out;
  } catch (const LockBusy& e) {
    out = {ErrorCategory::Transient, e.what()};
  } catch (const std::exception& e) {
    out = {ErrorCategory::Permanent, e.what()};
  } catch (...) {
    out = {ErrorCategory::Permanent, "unknown error"};
  }
  if (!session_usable) out.category = ErrorCategory::ConnectionLost;
  return out;
}

}  // namespace segmentd
