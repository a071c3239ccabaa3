#!/usr/bin/env bash
# Windowed word count (30 s window sliding every 1 s, reduce with inverse) on Ember and on
# Apache Spark Streaming 3.5.9, side by side: each reads lines of FILE offered at RATE lines/s
# by bench/paced_server.py for RUN_S seconds; reported are the batches after the first window,
# whose processing time must stay under the 1 s batch for the rate to be sustained.
# Usage: bench/compare_windowed.sh FILE RATE [RUN_S] [ENGINES]
#   ENGINES: "ember spark" (default), or one of them.
#   Spark is set up once by ../shared/bench/spark/setup.sh (pyspark from PyPI, Java 17).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SPARK=$ROOT/../shared/bench/spark
FILE=$1; RATE=$2; RUN=${3:-50}; ENGINES=${4:-ember spark}
WINDOW=30; BATCH=1000

# run NAME PORT COMMAND...: serve at RATE on PORT, run COMMAND, print its report with peak RSS.
run() {
  local name=$1 port=$2; shift 2
  local log err out rss
  log=$(mktemp); err=$(mktemp)
  python3 "$ROOT/bench/paced_server.py" "$port" "$FILE" "$RATE" $((RUN + 30)) >"$log" & local srv=$!
  sleep 0.5
  out=$(/usr/bin/time -v "$@" 2>"$err" | grep full_batches || true)
  kill $srv 2>/dev/null || true
  rss=$(awk -F: '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$err")
  rm -f "$log" "$err"
  echo "$name rate $RATE lines/s $out peak_rss_mb $rss"
}

for engine in $ENGINES; do
  case $engine in
    ember)
      cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" -p ember --example windowed_word_count_bench
      run ember 9431 "$ROOT/target/release/examples/windowed_word_count_bench" 9431 $BATCH $WINDOW "$RUN" ;;
    spark)
      J=${SPARK_JARS:-$("$SPARK/setup.sh")}
      CLS=${SPARK_BENCH_CLASSES:-$HOME/.cache/ember-bench/classes}
      mkdir -p "$CLS"
      [ "$CLS/WindowedWordCountBench.class" -nt "$ROOT/bench/spark/WindowedWordCountBench.java" ] ||
        javac -cp "$J/*" -d "$CLS" "$ROOT/bench/spark/WindowedWordCountBench.java"
      CK=$(mktemp -d)
      run spark 9432 java --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED \
        --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED \
        -cp "$CLS:$J/*" WindowedWordCountBench 'local[*]' 9432 $BATCH $WINDOW "$RUN" "$CK"
      rm -rf "$CK" ;;
  esac
done
