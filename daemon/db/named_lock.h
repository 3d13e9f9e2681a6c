#pragma once
// A server-side named lock (GET_LOCK) scoped to this database and held for
// the object's lifetime. Used to serialise migrates and ingests across
// processes; released explicitly, or by the server when the session ends.

#include <string>

namespace segmentd {

class DbSession;

class NamedLock {
 public:
  // `purpose` e.g. "ingest"; the lock is "segmentd.<purpose>.<database>".
  // Throws LockBusy naming `purpose` when not granted within the wait.
  NamedLock(DbSession& db, const std::string& purpose, unsigned wait_seconds);
  ~NamedLock();
  NamedLock(const NamedLock&) = delete;
  NamedLock& operator=(const NamedLock&) = delete;

 private:
  DbSession& db_;
  std::string prefix_;
};

}  // namespace segmentd
