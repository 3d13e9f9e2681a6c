#pragma once
// The grants segmentd's account needs on its schema (doc/CONFIGURATION.md "Database
// account" lists the same; a test keeps the two equal and runs everything
// as an account with exactly those grants).

#include <array>
#include <string>
#include <vector>

#include "db_session.h"

namespace segmentd {

inline constexpr std::array<const char*, 17> kRequiredPrivileges = {
    "SELECT",         "INSERT",        "UPDATE",  "DELETE",      "CREATE",
    "DROP",           "ALTER",         "INDEX",   "CREATE VIEW", "SHOW VIEW",
    "CREATE ROUTINE", "ALTER ROUTINE", "EXECUTE", "EVENT",       "CREATE TEMPORARY TABLES",
    "LOCK TABLES",    "TRIGGER"};

// The required privileges this session's account does not hold on the
// current schema (directly, globally or through a wildcard grant), in the
// order above. Privileges that come only through roles are not seen, so this
// is a diagnosis for messages, never a reason to refuse.
std::vector<std::string> missing_privileges(DbSession& db);

// Server codes for a privilege refused: 1044 database, 1142 table, 1143
// column, 1227 a specific privilege, 1370 a routine.
bool is_access_denied(int code);

}  // namespace segmentd
