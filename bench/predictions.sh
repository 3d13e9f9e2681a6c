#!/usr/bin/env bash
# The prediction step (summary, fit, scoring, swap) after a full refresh of
# segmentd-datagen's Olist-like data, against two anchors in the same run:
# the full refresh itself (the step's budget is a share of it), and a
# straightforward SciPy fit of the same customers (bench/scipy_predictions.py,
# Nelder-Mead on one row per customer, as lifetimes fits). Also the peak RSS
# of `segmentd predict` and of a daemon that refreshes and predicts after a
# file, and the two fits side by side.
#
#   bench/predictions.sh [--scale 1] [--pool MB] [--out DIR] [--smoke]
#
# Writes DIR/results.tsv (measure, value, unit) and DIR/summary.md. Not a
# test: nothing here passes or fails on a figure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scale=1 out=""
while [ $# -gt 0 ]; do
  case $1 in
    --scale) scale=$2; shift 2 ;;
    --pool) bench_pool_mb=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --smoke) scale=0.01; shift ;;
    *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
bench_start predictions measure value unit
daemon=""
stop_children() { [ -n "$daemon" ] && kill -KILL "$daemon" 2>/dev/null || true; }
[ -n "${bench_pool_mb:-}" ] && bench_pool "$bench_pool_mb"
private_db "$out/db"
sql() { client -N -B predictions -e "$1"; }
machine_header >"$out/machine.txt"
cat "$out/machine.txt" >&2

log "Olist-like data at scale $scale"
loaded_database predictions "$scale"
# Untimed: warms the buffer pool as a daemon's steady state has it.
"$bin" --config "$out/bench.yaml" refresh --full >/dev/null 2>>"$out/cli.log"

log "full refresh and its prediction step"
"$bin" --config "$out/bench.yaml" refresh --full >"$out/refresh.txt" 2>>"$out/cli.log"
run=$(sql "SELECT MAX(run_id) FROM pipeline_runs WHERE kind = 'refresh' AND status = 'succeeded'")
refresh_s=$(sql "SELECT ROUND(duration_ms / 1000, 3) FROM pipeline_runs WHERE run_id = $run")
step() { sql "SELECT ROUND(JSON_VALUE(step_timings, '\$.$1') / 1000, 3) FROM prediction_runs WHERE run_id = $run"; }
[ "$(sql "SELECT status FROM prediction_runs WHERE run_id = $run")" = available ] ||
  { echo "predictions not available: $(cat "$out/refresh.txt")" >&2; exit 1; }
predict_s=$(step total_ms) summary_s=$(step summary_ms) fit_s=$(step fit_ms) score_s=$(step score_ms) swap_s=$(step swap_ms)

log "segmentd predict alone, for its peak RSS"
/usr/bin/time -f "%M" -o "$out/predict.rss" "$bin" --config "$out/bench.yaml" predict >"$out/predict.txt" 2>>"$out/cli.log"
rss_mb=$(awk '{printf "%.1f", $1 / 1024}' "$out/predict.rss")

log "the daemon refreshing and predicting after a file, for its peak RSS"
mkdir -p "$out/inbox"
"$bin" --config "$out/bench.yaml" run 2>"$out/daemon.log" &
daemon=$!
wait_log "$out/daemon.log" "daemon.ready" 60
# A rates file: loaded, so a refresh (incremental, nothing to change) and
# its prediction step follow.
printf 'date,currency,rate\n2018-01-01,EUR,4.2\n' >"$out/inbox/rates.csv"
wait_log "$out/daemon.log" "predict.finished" 600
daemon_rss_mb=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$daemon/status")
kill -TERM "$daemon"
wait "$daemon" || true
daemon=""

log "the SciPy anchor on the same customers"
sql "SELECT x, t_x, t_days, COALESCE(repeat_spend, 0) FROM customer_predictions" >"$out/summary.tsv"
customers=$(wc -l <"$out/summary.tsv")
/usr/bin/python3 "$root/bench/scipy_predictions.py" "$out/summary.tsv" >"$out/scipy.txt"
scipy_s=$(sed -n 's/.*fit_s=\([0-9.]*\).*/\1/p' "$out/scipy.txt")
ours=$(sql "SELECT CONCAT('r=', ROUND(r, 6), ' alpha=', ROUND(alpha, 6), ' a=', ROUND(a, 6), ' b=', ROUND(b, 6), ' ll=', ROUND(log_likelihood, 6)) FROM vw_prediction_fit WHERE model = 'bgnbd'")
ours_gg=$(sql "SELECT CONCAT('p=', ROUND(p, 6), ' q=', ROUND(q, 6), ' gamma=', ROUND(gamma, 6)) FROM vw_prediction_fit WHERE model = 'gammagamma'")
share=$(awk -v p="$predict_s" -v r="$refresh_s" 'BEGIN { printf "%.2f", p / r }')
speedup=$(awk -v s="$scipy_s" -v p="$predict_s" 'BEGIN { printf "%.1f", s / p }')
record customers "$customers" customers
record full_refresh_s "$refresh_s" s
record predict_s "$predict_s" s
record predict_summary_s "$summary_s" s
record predict_fit_s "$fit_s" s
record predict_score_s "$score_s" s
record predict_swap_s "$swap_s" s
record predict_share_of_refresh "$share" x
record scipy_fit_s "$scipy_s" s
record speedup_vs_scipy "$speedup" x
record predict_peak_rss_mb "$rss_mb" MB
record daemon_peak_rss_mb "$daemon_rss_mb" MB
{
  echo "# The prediction step at ${scale}x against the full refresh and a SciPy fit"
  echo
  sed 's/^/    /' "$out/machine.txt"
  echo
  echo "| scale | customers | full refresh | prediction step (summary + fit + score + swap) | share of refresh | SciPy fit alone | speed vs SciPy | peak RSS: segmentd predict, daemon |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  echo "| $scale | $customers | $refresh_s s | $predict_s s ($summary_s + $fit_s + $score_s + $swap_s) | $share | $scipy_s s | $speedup | $rss_mb MB, $daemon_rss_mb MB |"
  echo
  echo "segmentd's fit: $ours; $ours_gg"
  echo
  echo "SciPy's fit: $(cat "$out/scipy.txt")"
} >"$out/summary.md"
cat "$out/summary.md"
