#!/usr/bin/env bash
# Socket word count, three ways, in one run: Ember (examples/network_word_count_bench.rs,
# local[2]), Apache Spark Streaming 3.5.9 (../shared/bench/spark, local[*]) and the hand-written
# single-threaded loop (bench/baseline --socket). Each reads FILE served once over a socket by
# ../shared/bench/spark/FileServer.py; the clock runs from the accepted connection to the moment
# every word has been counted. Prints words/s for each and the ratios.
# Usage: bench/compare_wordcount.sh FILE [BATCH_MS]
#   FILE: python3 ../shared/bench/data/gen_lines.py 2000000 100000 FILE (about 200 MB, 43M words)
#   Spark is set up once by ../shared/bench/spark/setup.sh (pyspark from PyPI, Java 17).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SPARK=$ROOT/../shared/bench/spark
FILE=$1; BATCH=${2:-1000}
WORDS=$(awk '{n+=NF} END {print n}' "$FILE")
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" -p ember --example network_word_count_bench
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" -p ember-bench-baseline

# run NAME PORT COMMAND...: serve FILE on PORT, run COMMAND, print "NAME words/s secs peak_rss_mb"
run() {
  local name=$1 port=$2; shift 2
  local log out err; log=$(mktemp); err=$(mktemp)
  python3 "$SPARK/FileServer.py" "$port" "$FILE" >"$log" & local srv=$!
  sleep 0.5
  kill -0 $srv 2>/dev/null || { echo "$name: the server could not listen on port $port (in use?)" >&2; exit 1; }
  out=$(/usr/bin/time -v "$@" 2>"$err" | grep done_ms)
  kill $srv 2>/dev/null || true
  local a d rss
  a=$(awk '/accepted_ms/ {print $2}' "$log"); d=$(echo "$out" | awk '{print $2}')
  rss=$(awk -F: '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$err")
  rm -f "$log" "$err"
  python3 -c "print('$name', round($WORDS / (($d - $a) / 1000.0)), ($d - $a) / 1000.0, '$rss')"
}

E=$(run ember 9421 "$ROOT/target/release/examples/network_word_count_bench" 9421 "$WORDS" "$BATCH")
B=$(run baseline 9422 "$ROOT/target/release/wordcount-baseline" --socket 9422 "$WORDS")
SERR=$(mktemp)
S=$(/usr/bin/time -v "$SPARK/run_wordcount.sh" "$FILE" 'local[*]' "$BATCH" 9423 2>"$SERR" |
  awk '/spark_wps/ {print "spark", $2, $4}')
S="$S $(awk -F: '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$SERR")"
rm -f "$SERR"
echo "input: $FILE ($WORDS words), batch $BATCH ms"
printf '%-9s %12s words/s  %7s s  peak RSS %s MB\n' $E
printf '%-9s %12s words/s  %7s s  peak RSS %s MB\n' $B
printf '%-9s %12s words/s  %7s s  peak RSS %s MB\n' $S
python3 - "$E" "$B" "$S" <<'PY'
import sys
e, b, s = (float(x.split()[1]) for x in sys.argv[1:4])
print(f"ember/spark {e / s:.2f}x   ember/baseline {e / b:.2f}x")
rss = lambda x: float(x.split()[3])
print(f"peak RSS ember/spark {rss(sys.argv[1]) / rss(sys.argv[3]):.2f}")
PY
