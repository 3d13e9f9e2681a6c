// Retention on a real database with many runs, history and ledger rows:
// exactly what the policy says goes, nothing else; the audit row lists it;
// the transitions view still answers; slices, the lock and dry runs.

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "named_lock.h"
#include "refresh.h"
#include "retention.h"
#include "test_database.h"

namespace segmentd::test {
namespace {

using Clock = std::chrono::system_clock;

// The pass's "now": 2026-12-02 12:00:00 UTC, whatever the real date.
Clock::time_point fixed_now() {
  return Clock::time_point{std::chrono::sys_days{std::chrono::year{2026} / 12 / 2}} + std::chrono::hours(12);
}

std::uint64_t refresh(TestDatabase& t, const std::string& started_at) {
  const auto out = run_refresh(t.db(), "cli", this_process());
  EXPECT_EQ(to_string(out.status), "succeeded") << out.message;
  t.db().update("UPDATE pipeline_runs SET started_at = ?, finished_at = ? WHERE run_id = ?",
                {started_at, started_at, static_cast<std::int64_t>(out.run_id)});
  return out.run_id;
}

std::uint64_t insert_run(TestDatabase& t, const std::string& kind, const std::string& status,
                         const std::string& started_at) {
  t.db().update(
      "INSERT INTO pipeline_runs (kind, `trigger`, status, started_at, finished_at) VALUES (?, 'cli', ?, ?, ?)",
      {kind, status, started_at, status == "running" ? DbParam(nullptr) : DbParam(started_at)});
  return last_insert_id(t.db());
}

// Rows a refresh that did not succeed left behind (V014), as a copy of
// another run's changes.
void copy_history(TestDatabase& t, std::uint64_t from, std::uint64_t to) {
  t.db().update(
      "INSERT INTO customer_segment_changes SELECT ?, customer_unique_id, r_score, f_score, m_score, rfm_code, "
      "segment_name FROM customer_segment_changes WHERE run_id = ?",
      {static_cast<std::int64_t>(to), static_cast<std::int64_t>(from)});
}

// Every customer's segment at every kept run, one text per run.
std::map<std::string, std::string> kept_states(TestDatabase& t) {
  std::map<std::string, std::string> out;
  for (const auto& row : t.db()
                             .query("SELECT run_id, GROUP_CONCAT(CONCAT(customer_unique_id, ':', rfm_code, ':', "
                                    "segment_name) ORDER BY customer_unique_id) FROM vw_customer_segment_at_run "
                                    "GROUP BY run_id")
                             .rows) {
    out[*row.at(0)] = row.at(1).value_or("");
  }
  return out;
}

// Changes the payments, so the next refresh scores customers differently.
void change_payments(TestDatabase& t, int salt) {
  t.db().update("UPDATE order_payments SET payment_value = 10 + CRC32(CONCAT(order_id, ?)) % 500",
                {std::to_string(salt)});
}

std::uint64_t insert_ledger(TestDatabase& t, const std::string& name, const std::string& status,
                            const std::string& started_at, const std::string& finished_at, DbParam run) {
  t.db().update(
      "INSERT INTO ingested_files (original_name, sha256, size_bytes, status, run_id, started_at, finished_at) "
      "VALUES (?, REPEAT('a', 64), 1, ?, ?, ?, ?)",
      {name, status, run, started_at, finished_at});
  return last_insert_id(t.db());
}

void touch(const std::filesystem::path& p) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p) << "x\n";
}

std::string id(std::uint64_t v) {
  return std::to_string(v);
}

TEST(Retention, RemovesExactlyWhatThePolicySaysAndRecordsIt) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 20);
  // Six successful refreshes (20 customers each in the history), dated so
  // that history_runs: 2 and monthly_snapshots: 3 (Oct, Nov, Dec 2026)
  // keep r2 (first of Oct), r4 (first of Nov), r5 and r6 (the newest two).
  // The payments change before each, so each stores some changes.
  const auto r1 = refresh(t, "2026-08-15 10:00:00");
  change_payments(t, 2);
  const auto r2 = refresh(t, "2026-10-03 10:00:00");
  change_payments(t, 3);
  const auto r3 = refresh(t, "2026-10-20 10:00:00");
  change_payments(t, 4);
  const auto r4 = refresh(t, "2026-11-05 10:00:00");
  change_payments(t, 5);
  const auto r5 = refresh(t, "2026-12-01 10:00:00");
  change_payments(t, 6);
  const auto r6 = refresh(t, "2026-12-02 00:00:00");
  // A failed refresh that left history behind goes; a running one stays.
  const auto failed = insert_run(t, "refresh", "failed", "2025-06-01 00:00:00");
  copy_history(t, r1, failed);
  const auto running = insert_run(t, "refresh", "running", "2025-06-02 00:00:00");
  copy_history(t, r1, running);
  // 1200 old ingest runs (three batches of 500), one recent, and one old
  // one that a kept ledger row points at.
  for (int i = 0; i < 1200; ++i) insert_run(t, "ingest", "succeeded", "2025-01-01 00:00:00");
  const auto pointed_at = insert_run(t, "ingest", "succeeded", "2025-01-02 00:00:00");
  const auto recent_ingest = insert_run(t, "ingest", "succeeded", "2026-11-30 00:00:00");
  // Prediction steps of r1 (whose predictions are still in place: kept),
  // r2 (a kept run) and r3 (goes with its run).
  for (const auto r : {r1, r2, r3}) {
    t.db().update("INSERT INTO prediction_runs (run_id, status, started_at) VALUES (?, 'available', NOW())",
                  {static_cast<std::int64_t>(r)});
    t.db().update("INSERT INTO prediction_fits (run_id, model) VALUES (?, 'bgnbd'), (?, 'gammagamma')",
                  {static_cast<std::int64_t>(r), static_cast<std::int64_t>(r)});
  }
  t.db().update(
      "INSERT INTO customer_predictions (customer_unique_id, run_id, x, t_x, t_days, p_alive, expected_avg_spend, "
      "expected_purchases_30d, predicted_value_30d, expected_purchases_90d, predicted_value_90d, "
      "expected_purchases_365d, predicted_value_365d) VALUES ('c1', ?, 0, 0, 10, 1, 1, 0, 0, 0, 0, 0, 0)",
      {static_cast<std::int64_t>(r1)});
  const std::string removed_rows =
      t.scalar("SELECT COUNT(*) FROM customer_segment_changes WHERE run_id IN (" + std::to_string(r1) + ", " +
               std::to_string(r3) + ", " + std::to_string(failed) + ")");
  auto states = kept_states(t);
  for (const auto gone : {r1, r3, failed, running}) states.erase(std::to_string(gone));

  const std::filesystem::path inbox = t.scratch() / "inbox";
  InboxConfig folders;
  folders.path = inbox;
  folders.processed = inbox / "processed";
  folders.quarantine = inbox / "quarantine";
  touch(folders.processed / "olist_orders_dataset.csv");
  touch(folders.processed / "olist_customers_dataset.1.csv");  // renamed on a clash
  touch(folders.quarantine / "mystery.csv");
  const std::string dir = inbox.string() + "/";
  const auto in_processed = insert_ledger(t, dir + "olist_orders_dataset.csv", "loaded", "2025-01-02 00:00:00",
                                          "2025-01-02 00:00:01", static_cast<std::int64_t>(pointed_at));
  const auto renamed = insert_ledger(t, dir + "olist_customers_dataset.csv", "duplicate", "2025-01-02 00:00:00",
                                     "2025-01-02 00:00:01", nullptr);
  const auto gone = insert_ledger(t, dir + "gone.csv", "loaded", "2025-01-03 00:00:00", "2025-01-03 00:00:01", nullptr);
  const auto rejected =
      insert_ledger(t, dir + "bad.csv", "rejected", "2025-01-03 00:00:00", "2025-01-03 00:00:01", nullptr);
  const auto recent =
      insert_ledger(t, dir + "new.csv", "loaded", "2026-11-30 00:00:00", "2026-11-30 00:00:01", nullptr);
  // Loaded after the newest successful refresh started: still owed a refresh.
  const auto owed = insert_ledger(t, dir + "owed.csv", "loaded", "2025-02-01 00:00:00", "2026-12-02 06:00:00", nullptr);

  RetentionConfig policy;
  policy.pipeline_runs_days = 30;
  policy.ingested_files_days = 30;
  policy.history_runs = 2;
  policy.monthly_snapshots = 3;
  RetentionOptions options;
  options.now = fixed_now;
  const RetentionReport report = run_retention(t.db(), policy, folders, "cli", this_process(), options);
  EXPECT_EQ(to_string(report.status), "succeeded") << report.message;
  EXPECT_TRUE(report.complete);

  // History: r1, r3 and the failed run's went; the kept runs answer as
  // before (r1's and r3's changes were carried forward), and the running
  // run's rows stayed.
  EXPECT_EQ(report.history_runs_removed, (std::vector<std::uint64_t>{r1, r3, failed}));
  EXPECT_EQ(std::to_string(report.history_rows_removed), removed_rows);
  EXPECT_GT(report.history_rows_carried, 0u);
  EXPECT_EQ(kept_states(t), states);
  EXPECT_EQ(t.scalar("SELECT GROUP_CONCAT(run_id ORDER BY run_id) FROM segment_history_runs"),
            id(r2) + "," + id(r4) + "," + id(r5) + "," + id(r6));
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM customer_segment_changes WHERE run_id = " + id(running)), "20");
  // The report's per-customer figures went with the history; the
  // per-segment ones with the run rows (r1 and r3 are gone).
  const std::string runs_with = "SELECT GROUP_CONCAT(DISTINCT run_id ORDER BY run_id) FROM ";
  const std::string kept = id(r2) + "," + id(r4) + "," + id(r5) + "," + id(r6);
  EXPECT_EQ(t.scalar(runs_with + "segment_run_cells"), kept);
  EXPECT_EQ(t.scalar(runs_with + "segment_run_transitions"), kept);
  EXPECT_EQ(t.scalar(runs_with + "segment_run_stats"), kept);
  // r3's prediction step went with its run; r1's stays while its predictions are in place.
  EXPECT_EQ(t.scalar(runs_with + "prediction_runs"), id(r1) + "," + id(r2));
  EXPECT_EQ(t.scalar(runs_with + "prediction_fits"), id(r1) + "," + id(r2));
  // Runs: every old one that nothing kept points at.
  EXPECT_EQ(report.runs_removed, 1200u + 3u);  // the old ingest runs, r1, r3 and the failed refresh
  EXPECT_EQ(
      t.scalar("SELECT GROUP_CONCAT(run_id ORDER BY run_id) FROM pipeline_runs WHERE run_id <> " + id(report.run_id)),
      id(r2) + "," + id(r4) + "," + id(r5) + "," + id(r6) + "," + id(running) + "," + id(pointed_at) + "," +
          id(recent_ingest));
  // Ledger: the rows of files still in processed/, the recent and the owed one stay.
  EXPECT_EQ(report.ledger_rows_removed, 2u);
  EXPECT_EQ(t.scalar("SELECT GROUP_CONCAT(id ORDER BY id) FROM ingested_files"),
            id(in_processed) + "," + id(renamed) + "," + id(recent) + "," + id(owed));
  EXPECT_EQ(report.first_ledger_row_removed, gone);
  EXPECT_EQ(report.last_ledger_row_removed, rejected);
  // Files arrived just now: none is 30 days old.
  EXPECT_EQ(report.processed.count, 0u);
  EXPECT_TRUE(std::filesystem::exists(folders.quarantine / "mystery.csv"));

  // The audit row says what went.
  EXPECT_EQ(t.scalar("SELECT CONCAT(kind, '/', `trigger`, '/', status) FROM pipeline_runs WHERE run_id = " +
                     id(report.run_id)),
            "retention/cli/succeeded");
  const auto details = nlohmann::json::parse(
      t.scalar("SELECT CAST(details AS CHAR) FROM pipeline_runs WHERE run_id = " + id(report.run_id)));
  EXPECT_EQ(details["customer_segment_history"]["runs_removed"], nlohmann::json({r1, r3, failed}));
  EXPECT_EQ(details["customer_segment_history"]["rows_removed"], report.history_rows_removed);
  EXPECT_EQ(details["customer_segment_history"]["rows_carried"], report.history_rows_carried);
  EXPECT_EQ(details["pipeline_runs"]["removed"], 1203);
  EXPECT_EQ(details["ingested_files"]["removed"], 2);
  EXPECT_EQ(details["complete"], true);
  EXPECT_NE(
      t.scalar("SELECT message FROM pipeline_runs WHERE run_id = " + id(report.run_id))
          .find("history of 3 runs (" + std::to_string(report.history_rows_removed) + " rows; " +
                std::to_string(report.history_rows_carried) + " carried to later runs), 1203 runs, 2 ledger rows"),
      std::string::npos);

  // The transitions view still compares the newest two.
  EXPECT_EQ(t.scalar("SELECT CONCAT(MIN(previous_run_id), '>', MIN(latest_run_id), ':', SUM(customers)) "
                     "FROM vw_segment_transitions WHERE to_segment <> '(gone)'"),
            id(r5) + ">" + id(r6) + ":20");

  // A second pass finds nothing more.
  const RetentionReport again = run_retention(t.db(), policy, folders, "cli", this_process(), options);
  EXPECT_TRUE(again.history_runs_removed.empty());
  EXPECT_EQ(again.runs_removed, 0u);
  EXPECT_EQ(again.ledger_rows_removed, 0u);
}

TEST(Retention, AFolderThatIsALinkFailsThePassAndKeepsItsLedger) {
  TestDatabase t;
  t.migrate();
  const std::filesystem::path real = t.scratch() / "elsewhere";
  touch(real / "olist_orders_dataset.csv");
  InboxConfig folders;
  folders.path = t.scratch() / "inbox";
  folders.processed = folders.path / "processed";
  folders.quarantine = folders.path / "quarantine";
  std::filesystem::create_directories(folders.path);
  std::filesystem::create_directory_symlink(real, folders.processed);
  insert_ledger(t, folders.path.string() + "/olist_orders_dataset.csv", "loaded", "2020-01-01 00:00:00",
                "2020-01-01 00:00:01", nullptr);
  insert_run(t, "ingest", "failed", "2020-01-01 00:00:00");
  insert_run(t, "ingest", "failed", "2020-01-02 00:00:00");
  RetentionConfig policy;
  RetentionOptions options;
  options.now = fixed_now;
  const auto r = run_retention(t.db(), policy, folders, "cli", this_process(), options);
  EXPECT_EQ(to_string(r.status), "failed");
  EXPECT_NE(r.message.find(folders.processed.string() + ": cannot open folder"), std::string::npos) << r.message;
  ASSERT_EQ(r.processed.errors.size(), 2u);  // its files, then the ledger that depends on them
  EXPECT_NE(r.processed.errors[1].find("no ledger rows removed"), std::string::npos) << r.processed.errors[1];
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM ingested_files"), "1");
  EXPECT_TRUE(std::filesystem::exists(real / "olist_orders_dataset.csv"));
  EXPECT_EQ(r.runs_removed, 1u) << "the other parts still ran";
  EXPECT_EQ(t.scalar("SELECT status FROM pipeline_runs WHERE run_id = " + id(r.run_id)), "failed");
}

TEST(Retention, ZeroKeepsForever) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 5);
  for (const char* at : {"2020-01-01 00:00:00", "2020-02-01 00:00:00", "2020-03-01 00:00:00"}) refresh(t, at);
  insert_run(t, "ingest", "failed", "2019-01-01 00:00:00");
  insert_ledger(t, "/x/old.csv", "rejected", "2019-01-01 00:00:00", "2019-01-01 00:00:00", nullptr);
  RetentionConfig keep_all{0, 0, 0, 0, 0, 0};
  RetentionOptions options;
  options.now = fixed_now;
  InboxConfig folders;
  const auto report = run_retention(t.db(), keep_all, folders, "cli", this_process(), options);
  EXPECT_EQ(to_string(report.status), "succeeded");
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM customer_segment_history"), "15");
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM pipeline_runs WHERE kind <> 'retention'"), "4");
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM ingested_files"), "1");
}

TEST(Retention, ASliceStopsBetweenBatchesAndTheNextGoesOn) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 20);
  std::vector<std::uint64_t> runs;
  int salt = 0;
  for (const char* at : {"2026-01-01 00:00:00", "2026-02-01 00:00:00", "2026-03-01 00:00:00", "2026-04-01 00:00:00"}) {
    change_payments(t, ++salt);
    runs.push_back(refresh(t, at));
  }
  auto states = kept_states(t);
  states.erase(id(runs[0]));
  states.erase(id(runs[1]));
  RetentionConfig policy;
  policy.history_runs = 1;  // the two compared stay all the same
  policy.monthly_snapshots = 0;
  RetentionOptions options;
  options.now = fixed_now;
  options.history_batch = 5;
  options.budget = std::chrono::milliseconds(2500);
  // A clock that moves a second per look: a slice gets about three batches.
  auto fake = std::make_shared<std::chrono::steady_clock::time_point>();
  options.steady_now = [fake] { return *fake += std::chrono::seconds(1); };
  InboxConfig folders;
  unsigned slices = 0;
  std::uint64_t rows = 0;
  RetentionReport r;
  do {
    r = run_retention(t.db(), policy, folders, "schedule", this_process(), options);
    ASSERT_EQ(to_string(r.status), "succeeded") << r.message;
    rows += r.history_rows_removed;
    ++slices;
    const auto details = nlohmann::json::parse(
        t.scalar("SELECT CAST(details AS CHAR) FROM pipeline_runs WHERE run_id = " + id(r.run_id)));
    EXPECT_EQ(details["complete"], r.complete);
    if (!r.complete) {
      EXPECT_NE(r.message.find("more is due"), std::string::npos) << r.message;
    }
  } while (!r.complete && slices < 50);
  EXPECT_GT(slices, 2u) << "the budget never cut a slice";
  EXPECT_TRUE(r.complete);
  // The first run's 20 rows, then the second's: its own changes and what
  // the first carried to it, one row per customer.
  EXPECT_EQ(rows, 40u);
  EXPECT_EQ(t.scalar("SELECT GROUP_CONCAT(DISTINCT run_id ORDER BY run_id) FROM customer_segment_history"),
            id(runs[2]) + "," + id(runs[3]));
  EXPECT_EQ(kept_states(t), states);
}

TEST(Retention, AnotherPassHoldingTheLockMakesThisOneSkipped) {
  TestDatabase t;
  t.migrate();
  auto other = t.connect();
  NamedLock held(*other, "retention", 0);
  const auto r = run_retention(t.db(), RetentionConfig{}, InboxConfig{}, "cli", this_process());
  EXPECT_EQ(to_string(r.status), "skipped");
  EXPECT_EQ(t.scalar("SELECT CONCAT(kind, '/', status) FROM pipeline_runs WHERE run_id = " + id(r.run_id)),
            "retention/skipped");
}

TEST(Retention, ADryRunReportsAndChangesNothing) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 10);
  for (const char* at : {"2020-01-01 00:00:00", "2020-02-01 00:00:00", "2020-03-01 00:00:00"}) refresh(t, at);
  insert_run(t, "ingest", "failed", "2019-01-01 00:00:00");
  insert_run(t, "ingest", "failed", "2019-01-02 00:00:00");
  RetentionConfig policy;
  policy.history_runs = 1;
  RetentionOptions options;
  options.now = fixed_now;
  options.dry_run = true;
  const auto before = t.scalar(
      "SELECT CONCAT((SELECT COUNT(*) FROM customer_segment_history), '/', "
      "(SELECT COUNT(*) FROM pipeline_runs))");
  const auto r = run_retention(t.db(), policy, InboxConfig{}, "cli", this_process(), options);
  EXPECT_EQ(r.run_id, 0u);
  EXPECT_EQ(r.history_runs_removed.size(), 1u);
  EXPECT_EQ(r.history_rows_removed, 10u);
  EXPECT_EQ(r.runs_removed, 1u);  // the newest ingest run stays, as in a real pass
  EXPECT_EQ(t.scalar("SELECT CONCAT((SELECT COUNT(*) FROM customer_segment_history), '/', "
                     "(SELECT COUNT(*) FROM pipeline_runs))"),
            before);
}

}  // namespace
}  // namespace segmentd::test
