# Shared pieces of the bench/compare_*.sh scripts; source it after setting ROOT.
# paced_run NAME PORT RATE SERVE_S PATTERN COMMAND...: offer FILE's lines at RATE lines/s on PORT
# (bench/paced_server.py), run COMMAND, print "NAME <its line matching PATTERN> peak_rss_mb R".
paced_run() {
  local name=$1 port=$2 rate=$3 serve=$4 pattern=$5; shift 5
  local log err out rss srv
  log=$(mktemp); err=$(mktemp)
  python3 "$ROOT/bench/paced_server.py" "$port" "$FILE" "$rate" "$serve" >"$log" & srv=$!
  sleep 0.5
  kill -0 $srv 2>/dev/null || { echo "$name: the server could not listen on port $port (in use?)" >&2; exit 1; }
  out=$(/usr/bin/time -v "$@" 2>"$err" | grep "$pattern" || true)
  kill $srv 2>/dev/null || true
  wait $srv 2>/dev/null || true
  rss=$(awk -F: '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$err")
  rm -f "$log" "$err"
  echo "$name $out peak_rss_mb $rss"
}
