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
source "$ROOT/bench/lib.sh"
FILE=$1; RATE=$2; RUN=${3:-50}; ENGINES=${4:-ember spark}
WINDOW=30; BATCH=1000

for engine in $ENGINES; do
  case $engine in
    ember)
      cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" -p ember --example windowed_word_count_bench
      paced_run "ember rate $RATE lines/s" 9431 "$RATE" $((RUN + 30)) full_batches \
        "$ROOT/target/release/examples/windowed_word_count_bench" 9431 $BATCH $WINDOW "$RUN" ;;
    spark)
      CK=$(mktemp -d)
      paced_run "spark rate $RATE lines/s" 9432 "$RATE" $((RUN + 30)) full_batches \
        "$ROOT/bench/spark/run_class.sh" WindowedWordCountBench 'local[*]' 9432 $BATCH $WINDOW "$RUN" "$CK"
      rm -rf "$CK" ;;
  esac
done
