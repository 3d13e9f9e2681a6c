#include "db_session.h"

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/resultset_metadata.h>
#include <cppconn/statement.h>
#include <cppconn/warning.h>
#include <mysql_driver.h>

#include <charconv>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>

#include "connect_plan.h"
#include "errors.h"
#include "log_event.h"
#include "privileges.h"
#include "server_greeting.h"
#include "tls_files.h"

namespace segmentd {

std::size_t DbResult::column(std::string_view name) const {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == name) return i;
  }
  throw std::out_of_range("no column " + std::string(name) + " in result");
}

DbValue query_value(DbSession& db, std::string_view sql, const std::vector<DbParam>& params) {
  DbResult r = db.query(sql, params);
  if (r.rows.empty() || r.rows.front().empty()) return std::nullopt;
  return r.rows.front().front();
}

std::uint64_t query_u64(DbSession& db, std::string_view sql, const std::vector<DbParam>& params) {
  const DbValue v = query_value(db, sql, params);
  if (!v || v->empty()) return 0;
  std::uint64_t out = 0;
  const auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || ptr != v->data() + v->size()) {
    throw DbError("expected a whole number, got '" + *v + "' [" + std::string(sql.substr(0, 80)) + "]", 0, "HY000");
  }
  return out;
}

std::uint64_t last_insert_id(DbSession& db) {
  return query_u64(db, "SELECT LAST_INSERT_ID()");
}

std::string describe_endpoint(const DatabaseConfig& config) {
  if (!config.socket.empty()) return "unix://" + config.socket;
  std::string out;
  for (const auto& e : endpoints_of(config)) out += (out.empty() ? "" : ",") + endpoint_url(e);
  return out;
}

namespace {

[[noreturn]] void rethrow(const sql::SQLException& e, std::string_view context, const std::string& explained = "") {
  std::string message = e.what() + explained;
  if (!context.empty()) message += " [" + std::string(context) + "]";
  throw DbError(message, e.getErrorCode(), e.getSQLState());
}

// Shortened statement text for error messages: enough to find it, not a wall.
std::string context_of(std::string_view sql) {
  std::string s(sql.substr(0, 120));
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return sql.size() > 120 ? s + "..." : s;
}

DbResult read_result(sql::ResultSet& rs) {
  DbResult result;
  sql::ResultSetMetaData* meta = rs.getMetaData();
  const unsigned count = meta->getColumnCount();
  for (unsigned i = 1; i <= count; ++i) result.columns.push_back(std::string(meta->getColumnLabel(i)));
  while (rs.next()) {
    std::vector<DbValue> row;
    row.reserve(count);
    for (unsigned i = 1; i <= count; ++i) {
      if (rs.isNull(i)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(rs.getString(i)));
      }
    }
    result.rows.push_back(std::move(row));
  }
  return result;
}

void bind(sql::PreparedStatement& ps, const std::vector<DbParam>& params) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto index = static_cast<unsigned>(i + 1);
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::nullptr_t>) {
            ps.setNull(index, 0);
          } else if constexpr (std::is_same_v<T, std::string>) {
            ps.setString(index, sql::SQLString(v.data(), v.size()));
          } else {
            ps.setInt64(index, v);
          }
        },
        params[i]);
  }
}

// Connector/C++ 1.1 reports "no more results" as an update count of -1 in
// an unsigned type.
constexpr std::uint64_t kNoMoreResults = static_cast<std::uint64_t>(-1);

class MysqlSession final : public DbSession {
 public:
  MysqlSession(std::unique_ptr<sql::Connection> connection, std::string endpoint)
      : conn_(std::move(connection)), endpoint_(std::move(endpoint)) {}

  std::string endpoint() const override { return endpoint_; }

  void execute(std::string_view sql) override {
    try {
      std::unique_ptr<sql::Statement> st(conn_->createStatement());
      st->execute(sql::SQLString(sql.data(), sql.size()));
      drain(*st);
      last_ = std::move(st);
    } catch (const sql::SQLException& e) {
      rethrow(e, context_of(sql), explain(e));
    }
  }

  DbResult query(std::string_view sql, const std::vector<DbParam>& params) override {
    try {
      sql::PreparedStatement& ps = prepared(sql);
      bind(ps, params);
      DbResult result;
      if (ps.execute()) {
        std::unique_ptr<sql::ResultSet> rs(ps.getResultSet());
        result = read_result(*rs);
      }
      return result;
    } catch (const sql::SQLException& e) {
      rethrow(e, context_of(sql), explain(e));
    }
  }

  std::uint64_t update(std::string_view sql, const std::vector<DbParam>& params) override {
    try {
      sql::PreparedStatement& ps = prepared(sql);
      bind(ps, params);
      return static_cast<std::uint64_t>(ps.executeUpdate());
    } catch (const sql::SQLException& e) {
      rethrow(e, context_of(sql), explain(e));
    }
  }

  DbResult call(std::string_view sql) override {
    try {
      std::unique_ptr<sql::Statement> st(conn_->createStatement());
      DbResult last;
      bool has_result = st->execute(sql::SQLString(sql.data(), sql.size()));
      // A CALL returns its SELECTs and then a status result; all of them must
      // be read before the connection can run anything else.
      while (true) {
        if (has_result) {
          std::unique_ptr<sql::ResultSet> rs(st->getResultSet());
          DbResult r = read_result(*rs);
          if (!r.columns.empty()) last = std::move(r);
        } else if (st->getUpdateCount() == kNoMoreResults) {
          break;
        }
        has_result = st->getMoreResults();
      }
      last_ = std::move(st);
      return last;
    } catch (const sql::SQLException& e) {
      rethrow(e, context_of(sql), explain(e));
    }
  }

  void for_each_row(std::string_view sql, const std::function<void(const std::vector<std::string>&)>& on_columns,
                    const std::function<void(const std::vector<DbValue>&)>& on_row) override {
    try {
      std::unique_ptr<sql::Statement> st(conn_->createStatement());
      // Forward-only makes the connector fetch rows as they are read
      // (mysql_use_result) instead of buffering the whole result.
      st->setResultSetType(sql::ResultSet::TYPE_FORWARD_ONLY);
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery(sql::SQLString(sql.data(), sql.size())));
      sql::ResultSetMetaData* meta = rs->getMetaData();
      const unsigned count = meta->getColumnCount();
      std::vector<std::string> columns;
      for (unsigned i = 1; i <= count; ++i) columns.push_back(std::string(meta->getColumnLabel(i)));
      on_columns(columns);
      std::vector<DbValue> row(count);
      while (rs->next()) {
        for (unsigned i = 1; i <= count; ++i) {
          if (rs->isNull(i)) {
            row[i - 1].reset();
          } else {
            row[i - 1] = std::string(rs->getString(i));
          }
        }
        on_row(row);
      }
      rs.reset();
      last_ = std::move(st);
    } catch (const sql::SQLException& e) {
      rethrow(e, context_of(sql), explain(e));
    }
  }

  std::vector<std::string> warnings() override {
    std::vector<std::string> out;
    try {
      // A plain statement: SHOW WARNINGS must not be served from the cache.
      std::unique_ptr<sql::Statement> st(conn_->createStatement());
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery("SHOW WARNINGS"));
      while (rs->next()) out.push_back(std::string(rs->getString(2)) + ": " + std::string(rs->getString(3)));
    } catch (const sql::SQLException&) {
    }
    return out;
  }

  bool usable() override {
    try {
      return conn_ && conn_->isValid();
    } catch (const sql::SQLException&) {
      return false;
    }
  }

  void forget_prepared() override { prepared_.clear(); }

 private:
  // The session's prepared statement for `sql`, prepared on first use. The
  // cache is bounded; when full it starts again (statements that repeat are
  // few: the ledger, run rows, batches, locks).
  sql::PreparedStatement& prepared(std::string_view sql) {
    const std::string key(sql);
    auto it = prepared_.find(key);
    if (it != prepared_.end()) {
      it->second->clearParameters();
      return *it->second;
    }
    if (prepared_.size() >= kMaxPrepared) prepared_.clear();
    std::unique_ptr<sql::PreparedStatement> ps(conn_->prepareStatement(sql::SQLString(sql.data(), sql.size())));
    return *prepared_.emplace(key, std::move(ps)).first->second;
  }

  // For a privilege refused: which of the grants segmentd needs this
  // account lacks, so the message names them (the server's does not).
  std::string explain(const sql::SQLException& e) {
    if (!is_access_denied(e.getErrorCode()) || explaining_) return "";
    explaining_ = true;
    std::string out;
    try {
      std::string list;
      for (const auto& p : missing_privileges(*this)) list += (list.empty() ? "" : ", ") + p;
      if (!list.empty())
        out = " (this account lacks " + list + " on the schema; doc/CONFIGURATION.md \"Database account\")";
    } catch (const DbError&) {
    }
    explaining_ = false;
    return out;
  }

  static void drain(sql::Statement& st) {
    while (true) {
      if (!st.getMoreResults() && st.getUpdateCount() == kNoMoreResults) break;
    }
  }

  static constexpr std::size_t kMaxPrepared = 128;
  std::unique_ptr<sql::Connection> conn_;
  std::string endpoint_;
  bool explaining_ = false;
  // Declared after the connection, so they are closed before it.
  std::map<std::string, std::unique_ptr<sql::PreparedStatement>, std::less<>> prepared_;
  // Keeps the last statement alive so its warnings stay readable; released
  // on the next statement.
  std::unique_ptr<sql::Statement> last_;
};

}  // namespace

namespace {

sql::Driver* driver() {
  // The driver singleton's first use is not thread-safe.
  static std::mutex driver_mutex;
  std::lock_guard<std::mutex> lock(driver_mutex);
  return sql::mysql::get_mysql_driver_instance();
}

// A hint for the errors whose usual cause is the TLS or key settings.
std::string hint_for(int code, const DatabaseConfig& config, const ConnectAttempt& attempt) {
  using namespace server_error;
  const bool plaintext_tcp = attempt.url.rfind("tcp://", 0) == 0 && !attempt.must_be_encrypted;
  if (plaintext_tcp && (code == kAccessDenied || code == kSecureTransportRequired)) {
    std::string hint = " (the connection was not encrypted, tls.mode " + std::string(to_string(config.tls.mode)) +
                       ": a server with require_secure_transport=ON refuses it as access denied; set "
                       "database.tls.mode to required or verify_identity";
    if (config.server_public_key.empty() && !config.get_server_public_key) {
      hint += "; a caching_sha2_password account also needs database.server_public_key over plaintext TCP";
    }
    return hint + ")";
  }
  if (code == kAuthNeedsSecureConnection) {
    return " (set database.server_public_key, use TLS, or set get_server_public_key: true to trust the network)";
  }
  if (code == kTlsConnectionError &&
      (config.tls.mode == TlsMode::VerifyCa || config.tls.mode == TlsMode::VerifyIdentity)) {
    std::string hint = " (database.tls.mode " + std::string(to_string(config.tls.mode)) +
                       ": the server's certificate " + "was checked against " +
                       (config.tls.ca.empty() ? std::string(kSystemCaPath) : config.tls.ca);
    if (config.tls.mode == TlsMode::VerifyIdentity) hint += " and for the name in " + attempt.url;
    return hint + ")";
  }
  return "";
}

std::unique_ptr<MysqlSession> connect_once(const DatabaseConfig& config, const ConnectAttempt& attempt,
                                           const std::string& password) {
  sql::ConnectOptionsMap options;
  options["hostName"] = sql::SQLString(attempt.url);
  options["userName"] = sql::SQLString(config.user);
  options["password"] = sql::SQLString(password);
  options["schema"] = sql::SQLString(config.database);
  options["OPT_CONNECT_TIMEOUT"] = static_cast<int>(config.connect_timeout_seconds);
  options["OPT_READ_TIMEOUT"] = static_cast<int>(config.read_timeout_seconds);
  options["OPT_WRITE_TIMEOUT"] = static_cast<int>(config.write_timeout_seconds);
  options["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
  options["OPT_LOCAL_INFILE"] = 1;
  options["OPT_RECONNECT"] = false;
  for (const auto& o : attempt.tls_options) {
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>) {
            options[o.name] = sql::SQLString(v);
          } else {
            options[o.name] = v;
          }
        },
        o.value);
  }
  std::unique_ptr<sql::Connection> conn;
  try {
    conn.reset(driver()->connect(options));
  } catch (const sql::SQLException& e) {
    throw DbError(std::string(e.what()) + hint_for(e.getErrorCode(), config, attempt), e.getErrorCode(),
                  e.getSQLState());
  }
  auto session = std::make_unique<MysqlSession>(std::move(conn), attempt.url);
  if (attempt.must_be_encrypted) {
    std::string cipher;
    session->for_each_row(
        "SHOW SESSION STATUS LIKE 'Ssl_cipher'", [](const std::vector<std::string>&) {},
        [&](const std::vector<DbValue>& row) { cipher = row.at(1).value_or(""); });
    if (cipher.empty()) {
      throw DbError(
          "the server's greeting offered TLS but the session is not encrypted (a downgrade in between?); "
          "closed before use",
          server_error::kTlsConnectionError, "HY000");
    }
  }
  return session;
}

// One per process: the daemon's reconnects share it (connect_plan.h says why).
GreetingMemory& greeting_memory() {
  static GreetingMemory memory;
  return memory;
}

std::unique_ptr<MysqlSession> connect_endpoint(const DatabaseConfig& config, const DatabaseEndpoint* endpoint,
                                               const std::string& password) {
  if (endpoint == nullptr) return connect_once(config, plan_socket_attempt(config), password);
  const std::string url = endpoint_url(*endpoint);
  bool offers_tls = false;
  if (config.tls.mode != TlsMode::Disabled) {
    if (const auto known = greeting_memory().offers_tls(url)) {
      offers_tls = *known;
    } else {
      offers_tls =
          read_server_greeting(endpoint->host, endpoint->port, std::chrono::seconds(config.connect_timeout_seconds))
              .offers_tls;
    }
  }
  const std::string decoy = offers_tls ? std::string() : decoy_public_key_path();
  // Only what a greeting said is remembered (disabled reads none).
  const bool greeted = config.tls.mode != TlsMode::Disabled;
  try {
    auto session = connect_once(config, plan_tcp_attempt(config, *endpoint, offers_tls, decoy), password);
    if (greeted) greeting_memory().after_attempt(url, offers_tls, 0);
    return session;
  } catch (const DbError& e) {
    if (greeted) greeting_memory().after_attempt(url, offers_tls, e.code());
    throw;
  }
}

}  // namespace

std::unique_ptr<DbSession> connect_database(const DatabaseConfig& config) {
  check_tls_files(config);
  const std::string password = resolve_password(config);
  std::vector<const DatabaseEndpoint*> order;
  const std::vector<DatabaseEndpoint> endpoints = endpoints_of(config);
  if (config.socket.empty()) {
    for (const auto& e : endpoints) order.push_back(&e);
  } else {
    order.push_back(nullptr);
  }
  std::string tried;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const std::string url = order[i] ? endpoint_url(*order[i]) : "unix://" + config.socket;
    try {
      std::unique_ptr<MysqlSession> session = connect_endpoint(config, order[i], password);
      session->update("SET SESSION sql_mode = ?", {std::string(kSqlMode)});
      session->execute("SET SESSION time_zone = '+00:00'");
      session->execute("SET NAMES utf8mb4 COLLATE utf8mb4_bin");
      return session;
    } catch (const DbError& e) {
      if (i + 1 == order.size()) {
        const std::string last = url + " as " + config.user + ": " + e.what();
        throw DbError("cannot connect to " + (tried.empty() ? last : tried + "; " + last), e.code(), e.sql_state());
      }
      log_event(spdlog::level::warn, "db.host_failed",
                {{"endpoint", url}, {"code", std::to_string(e.code())}, {"error", e.what()}});
      tried += url + " (error " + std::to_string(e.code()) + ": " + e.what() + ")";
    }
  }
  throw DbError("no database endpoint configured", 0, "HY000");  // not reached: config has one
}

}  // namespace segmentd
