#!/usr/bin/env bash
# Engine-core benchmark: word count over a text file with Ember (text_file → flat_map → map →
# reduce_by_key → count, local[2]) against the hand-written single-threaded loop in
# bench/baseline, on the same file, in one run. Prints words/s, peak RSS and the ratio.
# Usage: bench/wordcount.sh [FILE] [MASTER]
#   FILE defaults to ~/.cache/ember-bench/corpus_1g.txt, generated with
#   ../shared/bench/data/gen_lines.py 10000000 100000 FILE (about 1 GB) if missing.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FILE=${1:-$HOME/.cache/ember-bench/corpus_1g.txt}
MASTER=${2:-local[2]}
if [ ! -f "$FILE" ]; then
  mkdir -p "$(dirname "$FILE")"
  python3 "$ROOT/../shared/bench/data/gen_lines.py" 10000000 100000 "$FILE"
fi
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" -p ember -p ember-bench-baseline
cat "$FILE" > /dev/null   # same warm page cache for both
measure() { # label, command...: prints "label words/s peak_rss_mb"
  local label=$1; shift
  local out err
  err=$(mktemp)
  out=$(/usr/bin/time -v "$@" 2>"$err")
  local wps rss
  wps=$(echo "$out" | awk '{for (i=1;i<NF;i++) if ($i=="words_per_sec") print $(i+1)}')
  rss=$(awk -F: '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$err")
  rm -f "$err"
  echo "$label $wps $rss"
  echo "  $out" >&2
}
E=$(measure ember "$ROOT/target/release/ember" --master "$MASTER" wordcount "$FILE")
B=$(measure baseline "$ROOT/target/release/wordcount-baseline" "$FILE")
echo "$E" | awk '{printf "ember     %12.0f words/s  peak RSS %6d MB\n", $2, $3}'
echo "$B" | awk '{printf "baseline  %12.0f words/s  peak RSS %6d MB\n", $2, $3}'
paste <(echo "$E") <(echo "$B") | awk '{printf "ratio ember/baseline %.2fx\n", $2 / $5}'
