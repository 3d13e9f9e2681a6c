#include "privileges.h"

#include <set>

namespace segmentd {

bool is_access_denied(int code) {
  return code == 1044 || code == 1142 || code == 1143 || code == 1227 || code == 1370;
}

std::vector<std::string> missing_privileges(DbSession& db) {
  // DATABASE() LIKE TABLE_SCHEMA: a grant on `seg%`.* or `seg\_d`.* covers it.
  const DbResult r = db.query(
      "SELECT PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES "
      "WHERE GRANTEE = CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', "
      "SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''') AND DATABASE() LIKE TABLE_SCHEMA "
      "UNION SELECT PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES "
      "WHERE GRANTEE = CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', "
      "SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')");
  std::set<std::string> held;
  for (const auto& row : r.rows) {
    if (row.at(0)) held.insert(*row.at(0));
  }
  std::vector<std::string> missing;
  for (const char* p : kRequiredPrivileges) {
    if (!held.count(p)) missing.emplace_back(p);
  }
  return missing;
}

}  // namespace segmentd
