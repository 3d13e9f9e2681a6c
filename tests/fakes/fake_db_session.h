#pragma once
// A DbSession that answers from rules instead of a server, so the error
// paths of the service and of ingest get unit tests: a statement matching a
// rule's text either returns the rule's rows or throws its error. Every
// statement is recorded, in order.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "db_session.h"
#include "errors.h"

namespace segmentd::test {

class FakeDbSession final : public DbSession {
 public:
  struct Rule {
    std::string contains;  // matches a statement whose text contains this
    DbResult result;
    std::optional<DbError> error;
    int times = -1;  // how often it applies; -1 = always
  };

  // Rows of one column, for scalar answers.
  static DbResult one(std::optional<std::string> value) {
    DbResult r;
    r.columns = {"v"};
    r.rows = {{std::move(value)}};
    return r;
  }

  FakeDbSession& answer(std::string contains, DbResult result, int times = -1) {
    rules_.push_back({std::move(contains), std::move(result), std::nullopt, times});
    return *this;
  }
  FakeDbSession& fail(std::string contains, DbError error, int times = -1) {
    rules_.push_back({std::move(contains), {}, std::move(error), times});
    return *this;
  }
  // The session stops answering: every statement fails as a lost connection
  // and usable() is false.
  void lose_connection() { lost_ = true; }

  const std::vector<std::string>& statements() const { return statements_; }
  std::size_t count(const std::string& contains) const {
    std::size_t n = 0;
    for (const auto& s : statements_) n += s.find(contains) != std::string::npos;
    return n;
  }

  void execute(std::string_view sql) override { respond(sql); }
  DbResult query(std::string_view sql, const std::vector<DbParam>&) override { return respond(sql); }
  std::uint64_t update(std::string_view sql, const std::vector<DbParam>&) override {
    respond(sql);
    return 1;
  }
  DbResult call(std::string_view sql) override { return respond(sql); }
  void for_each_row(std::string_view sql, const std::function<void(const std::vector<std::string>&)>& on_columns,
                    const std::function<void(const std::vector<DbValue>&)>& on_row) override {
    DbResult r = respond(sql);
    on_columns(r.columns);
    for (const auto& row : r.rows) on_row(row);
  }
  std::vector<std::string> warnings() override { return {}; }
  bool usable() override { return !lost_; }

 private:
  DbResult respond(std::string_view sql) {
    statements_.emplace_back(sql);
    if (lost_) throw DbError("Lost connection to server during query", server_error::kServerLost, "HY000");
    for (auto& rule : rules_) {
      if (rule.times == 0 || sql.find(rule.contains) == std::string_view::npos) continue;
      if (rule.times > 0) --rule.times;
      if (rule.error) throw *rule.error;
      return rule.result;
    }
    return {};
  }

  std::vector<Rule> rules_;
  std::vector<std::string> statements_;
  bool lost_ = false;
};

}  // namespace segmentd::test
