// The daemon's decisions (planner.h) and its per-file bookkeeping
// (inbox_queue.h), with a fake clock: time is a value passed in, nothing
// sleeps, nothing touches a database.

#include "planner.h"

#include <gtest/gtest.h>

#include "inbox_queue.h"

namespace segmentd {
namespace {

using namespace std::chrono_literals;
const SteadyTime t0{std::chrono::hours(1)};

struct Fixture {
  InboxQueue queue;
  PlanState state() {
    PlanState s;
    s.now = now;
    s.connected = true;
    s.leading = true;
    s.queue = &queue;
    s.refresh = refresh;
    return s;
  }
  SteadyTime now = t0;
  std::optional<RefreshRequest> refresh;
};

RefreshRequest after_data(SteadyTime due) {
  return {RefreshTrigger::File, "segmentd after ingest", true, due};
}

TEST(Planner, NothingToDoWhenIdle) {
  Fixture f;
  EXPECT_EQ(plan_next(f.state()).kind, ActionKind::Nothing);
}

TEST(Planner, RetentionWaitsForFilesRefreshesAndTheConnection) {
  Fixture f;
  auto with_retention = [&] {
    PlanState s = f.state();
    s.retention_due = true;
    return s;
  };
  EXPECT_EQ(plan_next(with_retention()).kind, ActionKind::Retention);
  f.queue.offer("/in/a.csv", t0);
  EXPECT_EQ(plan_next(with_retention()).kind, ActionKind::Load);
  f.queue.start_load("a.csv");
  f.queue.drop("a.csv");
  f.refresh = after_data(t0 + 5s);
  EXPECT_EQ(plan_next(with_retention()).kind, ActionKind::WaitUntil) << "a debounced refresh waits: so does retention";
  f.refresh.reset();
  PlanState settling = with_retention();
  settling.settling = 1;
  EXPECT_EQ(plan_next(settling).kind, ActionKind::Nothing);
  PlanState offline = with_retention();
  offline.connected = false;
  EXPECT_EQ(plan_next(offline).kind, ActionKind::Nothing);
  PlanState busy = with_retention();
  busy.busy = true;
  EXPECT_EQ(plan_next(busy).kind, ActionKind::Nothing);
}

TEST(Planner, FilesLoadInArrivalOrderBeforeADebouncedRefresh) {
  Fixture f;
  f.queue.offer("/in/b.csv", t0);
  f.queue.offer("/in/a.csv", t0 + 1s);
  f.refresh = after_data(t0);
  f.now = t0 + 10s;
  const Action a = plan_next(f.state());
  EXPECT_EQ(a.kind, ActionKind::Load);
  EXPECT_EQ(a.file, "b.csv");
}

TEST(Planner, DebouncedRefreshWaitsForItsQuietTimeThenRuns) {
  Fixture f;
  f.refresh = after_data(t0 + 5s);
  Action a = plan_next(f.state());
  EXPECT_EQ(a.kind, ActionKind::WaitUntil);
  EXPECT_EQ(a.until, t0 + 5s);
  f.now = t0 + 5s;
  EXPECT_EQ(plan_next(f.state()).kind, ActionKind::Refresh);
}

TEST(Planner, DebouncedRefreshWaitsWhileFilesSettle) {
  Fixture f;
  f.refresh = after_data(t0);
  f.now = t0 + 10s;
  PlanState s = f.state();
  s.settling = 1;
  EXPECT_EQ(plan_next(s).kind, ActionKind::Nothing);  // the settle timer calls back
  s.settling = 0;
  EXPECT_EQ(plan_next(s).kind, ActionKind::Refresh);
}

TEST(Planner, ScheduledRefreshGoesBeforeWaitingFiles) {
  Fixture f;
  f.queue.offer("/in/a.csv", t0);
  f.refresh = RefreshRequest{RefreshTrigger::Schedule, "segmentd schedule daily", false, {}};
  EXPECT_EQ(plan_next(f.state()).kind, ActionKind::Refresh);
}

TEST(Planner, NothingNewWhileBusyOrStopping) {
  Fixture f;
  f.queue.offer("/in/a.csv", t0);
  PlanState s = f.state();
  s.busy = true;
  EXPECT_EQ(plan_next(s).kind, ActionKind::Nothing);
  s.busy = false;
  s.stopping = true;
  EXPECT_EQ(plan_next(s).kind, ActionKind::Nothing);
}

TEST(Planner, SettingsAndHeartbeatComeFirst) {
  Fixture f;
  f.queue.offer("/in/a.csv", t0);
  PlanState s = f.state();
  s.settings_due = true;
  s.heartbeat_due = true;
  EXPECT_EQ(plan_next(s).kind, ActionKind::ApplySettings);
  s.settings_due = false;
  EXPECT_EQ(plan_next(s).kind, ActionKind::Heartbeat);
}

TEST(Planner, WithoutTheDatabaseOnlyMovesGoOn) {
  Fixture f;
  f.queue.offer("/in/a.csv", t0);
  f.queue.offer("/in/b.csv", t0);
  f.queue.start_load("b.csv");
  f.queue.load_finished("b.csv", MovePlan{"/in/processed", false, {}, {}, {}, 1, FileStatus::Loaded, "", {}}, t0);
  f.refresh = RefreshRequest{RefreshTrigger::Schedule, "s", false, {}};
  PlanState s = f.state();
  s.connected = false;
  Action a = plan_next(s);
  EXPECT_EQ(a.kind, ActionKind::Move);
  EXPECT_EQ(a.file, "b.csv");
  f.queue.move_finished("b.csv");
  s = f.state();
  s.connected = false;
  EXPECT_EQ(plan_next(s).kind, ActionKind::Nothing);  // no load, no refresh: the reconnect calls back
}

TEST(Planner, DeferredFileWaitsForItsRetryTime) {
  Fixture f;
  f.queue.offer("/in/a.csv", t0);
  f.queue.start_load("a.csv");
  f.queue.load_deferred("a.csv", t0 + 4s, true);
  Action a = plan_next(f.state());
  EXPECT_EQ(a.kind, ActionKind::WaitUntil);
  EXPECT_EQ(a.until, t0 + 4s);
  f.now = t0 + 4s;
  EXPECT_EQ(plan_next(f.state()).kind, ActionKind::Load);
}

TEST(Planner, AFileInBackoffDoesNotHoldUpTheRefresh) {
  Fixture f;
  f.queue.offer("/in/a.csv", t0);
  f.queue.start_load("a.csv");
  f.queue.load_deferred("a.csv", t0 + 60s, true);
  f.refresh = after_data(t0 + 5s);
  f.now = t0 + 5s;
  EXPECT_EQ(plan_next(f.state()).kind, ActionKind::Refresh);
}

TEST(Planner, FailedMoveIsRetriedAtItsTimeAndNeverLoadsAgain) {
  Fixture f;
  f.queue.offer("/in/a.csv", t0);
  f.queue.start_load("a.csv");
  f.queue.load_finished("a.csv", MovePlan{"/in/processed", false, {}, {}, {}, 7, FileStatus::Loaded, "", {}}, t0);
  EXPECT_EQ(f.queue.move_failed("a.csv", f.queue.find("a.csv")->move, t0 + 2s), 1u);
  // The folder scan sees the file again: nothing changes.
  EXPECT_FALSE(f.queue.offer("/in/a.csv", t0 + 1s));
  f.now = t0 + 1s;
  Action a = plan_next(f.state());
  EXPECT_EQ(a.kind, ActionKind::WaitUntil);
  EXPECT_EQ(a.until, t0 + 2s);
  f.now = t0 + 2s;
  EXPECT_EQ(plan_next(f.state()).kind, ActionKind::Move);
  EXPECT_EQ(f.queue.move_failed("a.csv", f.queue.find("a.csv")->move, t0 + 6s), 2u);
}

TEST(MergeRefresh, ImmediateReplacesDebouncedAndIsNeverDowngraded) {
  std::optional<RefreshRequest> wanted;
  merge_refresh(wanted, after_data(t0 + 5s));
  merge_refresh(wanted, after_data(t0 + 9s));
  ASSERT_TRUE(wanted);
  EXPECT_TRUE(wanted->debounced);
  EXPECT_EQ(wanted->due, t0 + 9s);  // a later file pushes the quiet time on
  merge_refresh(wanted, {RefreshTrigger::Catchup, "segmentd catch-up", false, {}});
  EXPECT_EQ(wanted->trigger, RefreshTrigger::Catchup);
  merge_refresh(wanted, after_data(t0 + 20s));
  EXPECT_FALSE(wanted->debounced);
  EXPECT_EQ(wanted->trigger, RefreshTrigger::Catchup);
}

// A full refresh (the weekly schedule) stays full whatever it is merged
// with, and makes full whatever it joins.
TEST(MergeRefresh, AFullRefreshIsNeverMadeIncremental) {
  std::optional<RefreshRequest> wanted;
  RefreshRequest weekly{RefreshTrigger::Schedule, "segmentd schedule full-refresh", false, {}};
  weekly.full = true;
  merge_refresh(wanted, after_data(t0 + 5s));
  EXPECT_FALSE(wanted->full);
  merge_refresh(wanted, weekly);
  EXPECT_TRUE(wanted->full);
  merge_refresh(wanted, {RefreshTrigger::Catchup, "segmentd catch-up", false, {}});
  EXPECT_TRUE(wanted->full);
  std::optional<RefreshRequest> other;
  merge_refresh(other, {RefreshTrigger::Catchup, "segmentd catch-up", false, {}});
  merge_refresh(other, weekly);
  EXPECT_TRUE(other->full) << "joined an immediate one that was already waiting";
  EXPECT_EQ(other->trigger, RefreshTrigger::Catchup);
}

TEST(MergeRefresh, ARetryRunsOnlyIfOwedUntilNewDataAsksForItOutright) {
  std::optional<RefreshRequest> wanted;
  RefreshRequest retry = after_data(t0 + 10s);
  retry.only_if_owed = true;
  merge_refresh(wanted, retry);
  EXPECT_TRUE(wanted->only_if_owed);
  merge_refresh(wanted, after_data(t0 + 12s));  // a new file was loaded meanwhile
  EXPECT_FALSE(wanted->only_if_owed);
  EXPECT_EQ(wanted->due, t0 + 12s);
}

TEST(MergeRefresh, OwedRefreshAfterARestartRunsOnceTheInboxIsDrained) {
  // What the controller does at start when the database says a refresh is
  // owed: a debounced request due at once, behind any file waiting.
  Fixture f;
  merge_refresh(f.refresh, after_data(t0));
  f.queue.offer("/in/orders.csv", t0);
  EXPECT_EQ(plan_next(f.state()).kind, ActionKind::Load);
  f.queue.drop("orders.csv");
  EXPECT_EQ(plan_next(f.state()).kind, ActionKind::Refresh);
}

TEST(Backoff, DoublesToTheCapWithAtMostAQuarterOfJitter) {
  std::mt19937 rng(42);
  for (unsigned attempt = 0; attempt < 12; ++attempt) {
    const auto d = backoff_delay(attempt, 1000ms, 60000ms, rng);
    const auto base = std::min<long long>(60000, 1000LL << attempt);
    EXPECT_GE(d.count(), base) << attempt;
    EXPECT_LE(d.count(), base + base / 4) << attempt;
  }
}

TEST(InboxQueue, ReloadDuringALoadDoesNotRequeueTheFileBeingLoaded) {
  InboxQueue q;
  q.offer("/in/a.csv", t0);
  q.start_load("a.csv");
  // A reload makes a new tracker that finds the file again; the queue keeps
  // it as loading, and forgetting the old inbox's waiting files spares it.
  EXPECT_FALSE(q.offer("/in/a.csv", t0 + 1s));
  q.forget_missing({});
  ASSERT_NE(q.find("a.csv"), nullptr);
  EXPECT_EQ(q.find("a.csv")->stage, FileStage::Loading);
  EXPECT_EQ(q.next_load(t0 + 1s), nullptr);
}

TEST(InboxQueue, CountersGoWithTheEntry) {
  InboxQueue q;
  q.offer("/in/a.csv", t0);
  q.start_load("a.csv");
  EXPECT_EQ(q.load_deferred("a.csv", t0, true), 1u);
  q.start_load("a.csv");
  EXPECT_EQ(q.load_deferred("a.csv", t0, false), 1u);  // a lost connection does not count
  q.start_load("a.csv");
  q.load_finished("a.csv", {}, t0);
  EXPECT_EQ(q.find("a.csv")->transient_failures, 0u);
  q.move_finished("a.csv");
  EXPECT_TRUE(q.offer("/in/a.csv", t0));  // a new drop of the same name starts afresh
  EXPECT_EQ(q.find("a.csv")->transient_failures, 0u);
}

TEST(InboxQueue, WaitingFilesRemovedByHandLeaveTheQueue) {
  InboxQueue q;
  q.offer("/in/a.csv", t0);
  q.offer("/in/b.csv", t0);
  q.forget_missing({"b.csv"});
  EXPECT_EQ(q.find("a.csv"), nullptr);
  EXPECT_NE(q.find("b.csv"), nullptr);
}

LoadFacts job_failed(ErrorCategory c) {
  LoadFacts f;
  f.job_error = c;
  return f;
}

LoadFacts file_outcome(FileStatus s, ErrorCategory failure = ErrorCategory::Permanent) {
  LoadFacts f;
  f.status = s;
  f.failure = failure;
  return f;
}

TEST(JudgeLoad, RetryClassesDecideWhatHappensToTheFile) {
  RetryPolicy policy;
  std::mt19937 rng(1);
  // The connection went: the file waits, nothing counted.
  EXPECT_EQ(judge_load(job_failed(ErrorCategory::ConnectionLost), 0, policy, rng).verdict,
            LoadVerdict::WaitForConnection);
  // Another session's ingest holds the lock: soon again, however often.
  const auto busy = judge_load(job_failed(ErrorCategory::Transient), 50, policy, rng);
  EXPECT_EQ(busy.verdict, LoadVerdict::RetrySoon);
  EXPECT_EQ(busy.retry_after, policy.lock_busy_retry);
  // A deadlock (the file's load failed transiently): backoff, then give up on the third.
  const LoadFacts deadlock = file_outcome(FileStatus::Failed, ErrorCategory::Transient);
  const auto first = judge_load(deadlock, 0, policy, rng);
  EXPECT_EQ(first.verdict, LoadVerdict::RetryWithBackoff);
  EXPECT_GE(first.retry_after, policy.first_retry);
  EXPECT_EQ(judge_load(deadlock, 1, policy, rng).verdict, LoadVerdict::RetryWithBackoff);
  EXPECT_EQ(judge_load(deadlock, 2, policy, rng).verdict, LoadVerdict::GiveUp);
  // Permanent: quarantined at once, never retried (it used to be retried
  // three times when its message began with "database error").
  const auto warned = judge_load(file_outcome(FileStatus::Failed, ErrorCategory::Permanent), 0, policy, rng);
  EXPECT_EQ(warned.verdict, LoadVerdict::Move);
  EXPECT_FALSE(warned.owes_refresh);
  EXPECT_EQ(judge_load(file_outcome(FileStatus::Rejected), 0, policy, rng).verdict, LoadVerdict::Move);
}

TEST(JudgeLoad, OnlyNewDataOwesARefresh) {
  RetryPolicy policy;
  std::mt19937 rng(1);
  EXPECT_TRUE(judge_load(file_outcome(FileStatus::Loaded), 0, policy, rng).owes_refresh);
  EXPECT_FALSE(judge_load(file_outcome(FileStatus::Duplicate), 0, policy, rng).owes_refresh);
  LoadFacts off = file_outcome(FileStatus::Loaded);
  off.after_ingest = false;
  EXPECT_FALSE(judge_load(off, 0, policy, rng).owes_refresh);
}

TEST(JudgeLoad, AnInterruptedOrVanishedFileIsLetGo) {
  RetryPolicy policy;
  std::mt19937 rng(1);
  EXPECT_EQ(judge_load(file_outcome(FileStatus::Interrupted), 0, policy, rng).verdict, LoadVerdict::LetGo);
  LoadFacts gone;
  gone.gone = true;
  EXPECT_EQ(judge_load(gone, 0, policy, rng).verdict, LoadVerdict::LetGo);
}

TEST(JudgeLoad, AnUnexpectedJobFailureIsCountedNotFatal) {
  RetryPolicy policy;
  std::mt19937 rng(1);
  EXPECT_EQ(judge_load(job_failed(ErrorCategory::Permanent), 0, policy, rng).verdict, LoadVerdict::RetryWithBackoff);
  EXPECT_EQ(judge_load(job_failed(ErrorCategory::Permanent), 2, policy, rng).verdict, LoadVerdict::GiveUp);
}

}  // namespace
}  // namespace segmentd
