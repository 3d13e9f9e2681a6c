#include "connection_facts.h"

#include <cctype>

#include "errors.h"

namespace segmentd {

std::string auth_plugin_of(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const auto word_after = [&](std::size_t pos) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\'' || text[pos] == '`' || text[pos] == '"')) ++pos;
    std::size_t end = pos;
    while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_')) ++end;
    return std::string(text.substr(pos, end - pos));
  };
  if (const auto with = upper.find("IDENTIFIED WITH "); with != std::string::npos) return word_after(with + 16);
  if (const auto via = upper.find("IDENTIFIED VIA "); via != std::string::npos) return word_after(via + 15);
  if (upper.find("IDENTIFIED BY PASSWORD") != std::string::npos) return "mysql_native_password";
  if (upper.find("IDENTIFIED") == std::string::npos) return "none";
  return "unknown";
}

std::string tls_text(const ConnectionFacts& facts) {
  return facts.encrypted() ? facts.tls_version + "/" + facts.tls_cipher : "none";
}

ConnectionFacts read_connection_facts(DbSession& db) {
  ConnectionFacts facts;
  facts.endpoint = db.endpoint();
  const auto ignore_columns = [](const std::vector<std::string>&) {};
  // SHOW statements as plain text: not every server prepares them.
  db.for_each_row("SHOW SESSION STATUS WHERE Variable_name IN ('Ssl_version', 'Ssl_cipher')", ignore_columns,
                  [&](const std::vector<DbValue>& row) {
                    if (row.at(0) == "Ssl_version") facts.tls_version = row.at(1).value_or("");
                    if (row.at(0) == "Ssl_cipher") facts.tls_cipher = row.at(1).value_or("");
                  });
  facts.auth_plugin = "unknown";
  try {
    // Allowed for one's own account without privileges on the mysql schema.
    db.for_each_row("SHOW CREATE USER CURRENT_USER()", ignore_columns, [&](const std::vector<DbValue>& row) {
      if (row.at(0)) facts.auth_plugin = auth_plugin_of(*row.at(0));
    });
  } catch (const DbError& e) {
    if (e.connection_lost()) throw;
    facts.auth_plugin = "unknown";
  }
  return facts;
}

bool galera_node(DbSession& db) {
  const DbResult r = db.query("SHOW VARIABLES WHERE Variable_name = 'wsrep_on'");
  return !r.rows.empty() && r.rows[0].at(1).value_or("") == "ON";
}

void require_writable(DbSession& db) {
  const auto ignore_columns = [](const std::vector<std::string>&) {};
  std::string read_only_on;
  bool wsrep_on = false;
  // super_read_only exists on MySQL only; read_only holds for accounts
  // without SUPER (segmentd's should have none: least privilege).
  db.for_each_row("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('read_only', 'super_read_only', 'wsrep_on')",
                  ignore_columns, [&](const std::vector<DbValue>& row) {
                    const std::string name = row.at(0).value_or("");
                    const std::string value = row.at(1).value_or("");
                    const bool on = value != "OFF" && value != "0" && !value.empty();
                    if (name == "wsrep_on") wsrep_on = on;
                    if (name != "wsrep_on" && on && read_only_on.empty()) read_only_on = name;
                  });
  if (!read_only_on.empty()) {
    throw DbError("the server refuses writes (" + read_only_on + "=ON)", server_error::kReadOnlyOption, "HY000");
  }
  if (!wsrep_on) return;
  std::string ready;
  db.for_each_row("SHOW GLOBAL STATUS WHERE Variable_name = 'wsrep_ready'", ignore_columns,
                  [&](const std::vector<DbValue>& row) { ready = row.at(1).value_or(""); });
  if (ready != "ON") {
    throw DbError("the Galera node is not ready (wsrep_ready=" + ready + ")", server_error::kNodeNotReady, "08S01");
  }
}

}  // namespace segmentd
