#include "transaction.h"

#include "db_session.h"
#include "errors.h"

namespace segmentd {

Transaction::Transaction(DbSession& db) : db_(db) {
  db_.execute("START TRANSACTION");
}

Transaction::~Transaction() {
  if (!open_) return;
  try {
    db_.execute("ROLLBACK");
  } catch (const Error&) {
    // Lost with the session; the server has rolled it back.
  }
}

void Transaction::commit() {
  db_.execute("COMMIT");
  open_ = false;
}

}  // namespace segmentd
