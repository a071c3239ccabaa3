#!/usr/bin/env bash
# End-to-end latency of the socket word count on Ember and on Apache Spark Streaming 3.5.9,
# side by side: FILE's lines are offered at RATE lines/s by bench/paced_server.py; for each
# batch interval in BATCHES_MS, each engine runs RUN_S seconds and reports the listener's
# total_delay (batch time to end of its jobs) over the batches after the first two seconds.
# An interval is sustained when every due batch completed, p99 processing stayed under the
# interval and 99% of batches started within an interval of their time (a backlog that grows
# fails all three; a lone stall of the shared 2-core machine does not). The last line per engine is the
# smallest sustained interval.
# Usage: bench/compare_latency.sh FILE RATE "BATCHES_MS" [RUN_S] [ENGINES]   (BATCHES_MS ascending)
#   e.g. bench/compare_latency.sh corpus.txt 200000 "50 100 200" 30 "ember spark"
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/bench/lib.sh"
FILE=$1; RATE=$2; BATCHES=$3; RUN=${4:-30}; ENGINES=${5:-ember spark}

# sustained REPORT BATCH_MS: exit status 0 when the report line shows the interval sustained.
sustained() {
  echo "$1" | awk -v b="$2" '{
    for (i = 1; i <= NF; i++) v[$i] = $(i + 1)
    ok = ("p99_total_ms" in v && v["batches"] >= v["of"] - 1 && v["p99_processing_ms"] < b && v["p99_sched_ms"] < b)
    exit !ok }'
}

for engine in $ENGINES; do
  best=none
  for batch in $BATCHES; do
    case $engine in
      ember)
        cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" -p ember --example latency_bench
        out=$(paced_run ember 9441 "$RATE" $((RUN + 30)) p99_total_ms \
          "$ROOT/target/release/examples/latency_bench" 9441 "$batch" "$RUN") ;;
      spark)
        out=$(paced_run spark 9442 "$RATE" $((RUN + 30)) p99_total_ms \
          "$ROOT/bench/spark/run_class.sh" LatencyBench 'local[*]' 9442 "$batch" "$RUN") ;;
    esac
    if sustained "$out" "$batch"; then verdict=sustained; else verdict=not_sustained; fi
    echo "$engine rate $RATE batch_ms $batch ${out#"$engine "} $verdict"
    [ "$verdict" = sustained ] && [ "$best" = none ] && best=$batch
  done
  echo "$engine smallest_sustained_batch_ms $best"
done
