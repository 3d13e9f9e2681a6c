#!/usr/bin/env bash
# `segmentd migrate` cut at many points (issue 39 item 5: of 15 kill points,
# 3 once left a schema no later migrate could fix, and one a procedure
# dropped). Each round migrates a fresh database, kills the migrate after a
# seeded random delay within a migrate's length, with SIGTERM (it finishes
# the migration it is in) or SIGKILL (it resumes from its recorded progress),
# migrates again, and compares the schema with a clean migrate's: tables,
# columns, indexes, routines, views, triggers, the event and the ledger.
#   SEGMENTD_KILL_SEED=N replays a failure; SEGMENTD_KILL_ROUNDS sets the rounds.
. "$(dirname "$0")/lib.sh"
seed=${SEGMENTD_KILL_SEED:-$RANDOM}
rounds=${SEGMENTD_KILL_ROUNDS:-16}
echo "seed $seed, $rounds rounds"
RANDOM=$seed
write_config

schema_of() {  # schema_of DATABASE: a canonical description of its schema
  "$src/scripts/privdb.sh" client "$db_dir" -N -B "$1" -e "
    SELECT 'column', TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, IS_NULLABLE, COALESCE(COLUMN_DEFAULT, 'NULL'), EXTRA
      FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY 2, 4;
    SELECT 'index', TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE
      FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() ORDER BY 2, 3, 4;
    SELECT 'routine', ROUTINE_TYPE, ROUTINE_NAME, MD5(ROUTINE_DEFINITION)
      FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() ORDER BY 2, 3;
    SELECT 'view', TABLE_NAME, MD5(REPLACE(VIEW_DEFINITION, '\`$1\`', '\`DB\`'))
      FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() ORDER BY 2;
    SELECT 'trigger', TRIGGER_NAME, EVENT_OBJECT_TABLE, MD5(ACTION_STATEMENT)
      FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY 2;
    SELECT 'event', EVENT_NAME, STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE();
    SELECT 'migration', version, checksum FROM schema_migrations ORDER BY version;
    SELECT 'progress', COUNT(*) FROM schema_migration_progress;"
}
migrate_into() {  # migrate_into DATABASE [LOG]
  sed "s/^  database: .*/  database: $1/" "$work/segmentd.yaml" >"$work/$1.yaml"
  "$bin" --config "$work/$1.yaml" migrate >>"${2:-/dev/null}" 2>&1
}

reference="${database}_ref"
sql_root "CREATE DATABASE \`$reference\`"
start=$(date +%s%N)
migrate_into "$reference" || fail "a clean migrate failed"
length_ms=$((($(date +%s%N) - start) / 1000000))
echo "a clean migrate takes $length_ms ms"
schema_of "$reference" >"$work/reference.txt"
[ "$(grep -c '^routine' "$work/reference.txt")" -gt 5 ] || fail "the reference schema has no routines"
sql_root "DROP DATABASE \`$reference\`"

for ((round = 1; round <= rounds; round++)); do
  db="${database}_k$round"
  sql_root "CREATE DATABASE \`$db\`"
  signal=$([ $((round % 2)) = 0 ] && echo KILL || echo TERM)
  delay_ms=$((RANDOM % (length_ms + 1)))
  sed "s/^  database: .*/  database: $db/" "$work/segmentd.yaml" >"$work/$db.yaml"
  "$bin" --config "$work/$db.yaml" migrate >"$work/$db.first.log" 2>&1 &
  pid=$!
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  kill -"$signal" "$pid" 2>/dev/null || true
  rc=0
  wait "$pid" || rc=$?
  echo "round $round: SIG$signal after $delay_ms ms, first migrate exit $rc"
  if [ "$signal" = TERM ] && [ "$rc" = 143 ]; then
    # Only before the signals are held back, when nothing has been done.
    expect_eq "$(sql_root "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$db'")" 0 \
      "round $round: tables made by a migrate SIGTERM ended at once"
  elif [ "$signal" = TERM ] && [ "$rc" != 0 ]; then
    grep -q "migrate stopped by a signal before\|schema is current\|re-created" "$work/$db.first.log" ||
      fail "round $round: SIGTERM ended migrate without finishing its step: $(tail -3 "$work/$db.first.log")"
  fi
  migrate_into "$db" "$work/$db.second.log" ||
    fail "round $round (seed $seed): migrate after SIG$signal at $delay_ms ms failed: $(tail -3 "$work/$db.second.log")"
  schema_of "$db" >"$work/$db.txt"
  diff "$work/reference.txt" "$work/$db.txt" >"$work/$db.diff" ||
    fail "round $round (seed $seed): schema differs from a clean migrate: $(head -20 "$work/$db.diff")"
  sql_root "DROP DATABASE \`$db\`"
done
echo ok
