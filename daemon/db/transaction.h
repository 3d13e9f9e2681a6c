#pragma once
// A transaction scoped to an object: START TRANSACTION on construction,
// ROLLBACK on destruction unless commit() ran. A rollback that fails (the
// connection is gone) is ignored: the server rolls back a lost session.

namespace segmentd {

class DbSession;

class Transaction {
 public:
  explicit Transaction(DbSession& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();

 private:
  DbSession& db_;
  bool open_ = true;
};

}  // namespace segmentd
