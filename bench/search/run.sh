#!/usr/bin/env bash
# Search benchmark: a generated catalogue, the real server on loopback, and a fixed mix
# of searches and suggestions (bench/search/driver.py) timed over HTTP.
#
#   bash bench/search/run.sh                          # 1,000,000 videos, 500,000 users
#   VIDEOS=2000 USERS=200 REQUESTS=400 bash bench/search/run.sh   # a quick smoke run
#   BIN=/path/to/monotube bash bench/search/run.sh     # that binary, no build
#
# The catalogue (database + index) is generated once per size into
# ~/.cache/monotube-bench/search-<videos>-<users>/ and reused (FRESH=1 makes it again);
# generation time and index size are printed. Results go to bench/results/search-<date>.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh

VIDEOS=${VIDEOS:-1000000}
USERS=${USERS:-500000}
REQUESTS=${REQUESTS:-4000}
CLIENTS=${CLIENTS:-4}
MAX_SECONDS=${MAX_SECONDS:-90}
CACHE_DIR=${CACHE_DIR:-$HOME/.cache/monotube-bench}

[ -f /usr/share/dict/words ] || bash scripts/setup.sh --bench
[ -n "${BIN:-}" ] || bash scripts/build.sh --target monotube
bin=${BIN:-$(pwd)/${BUILD_DIR:-build}/monotube}
data_dir=$CACHE_DIR/search-$VIDEOS-$USERS
mkdir -p bench/results
out=bench/results/search-$(date -u +%Y%m%d-%H%M%S).md

{
  echo "# Search benchmark, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo
  echo "$(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB; $VIDEOS videos, $USERS users"
  echo
} >"$out"

if [ -n "${FRESH:-}" ] || [ ! -f "$data_dir/generated" ]; then
  rm -rf "$data_dir"
  mkdir -p "$data_dir"
  log "generating $VIDEOS videos and $USERS users into $data_dir"
  start=$(now_ms)
  MONOTUBE_DATA_DIR=$data_dir MONOTUBE_LOG_LEVEL=warn "$bin" dev gen-catalog --videos "$VIDEOS" --users "$USERS" \
    | tee "$data_dir/generated.log"
  echo "generation (database + index): $(fmt_ms $(( $(now_ms) - start )))" >>"$data_dir/generated.log"
  touch "$data_dir/generated"
fi
{
  echo '```'
  cat "$data_dir/generated.log"
  echo "database: $(du -sh "$data_dir/monotube.db" | cut -f1), index: $(du -shL "$data_dir/search/current" | cut -f1)"
  echo '```'
  echo
} | tee -a "$out"

port=$(free_port)
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; then wait "$server_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
MONOTUBE_DATA_DIR=$data_dir MONOTUBE_LISTEN=127.0.0.1:$port MONOTUBE_LOG_LEVEL=warn \
  MONOTUBE_STATIC_DIR=$(pwd)/static "$bin" serve >"$data_dir/server.log" 2>&1 &
server_pid=$!

# Ready when a search answers 200 (the index and suggestions are loaded).
deadline=$(( $(date +%s) + 600 ))
until curl -fsS -o /dev/null "http://127.0.0.1:$port/api/search/videos?query=a" 2>/dev/null; do
  kill -0 "$server_pid" 2>/dev/null || { cat "$data_dir/server.log"; die "the server exited"; }
  [ "$(date +%s)" -lt "$deadline" ] || die "the server did not become ready within 10 minutes"
  sleep 0.5
done
log "server ready on 127.0.0.1:$port (RSS $(awk '/VmRSS/ {print $2 " " $3}' /proc/$server_pid/status))"

/usr/bin/python3 bench/search/driver.py --port "$port" --requests "$REQUESTS" --clients "$CLIENTS" \
  --max-seconds "$MAX_SECONDS" | tee -a "$out"
echo | tee -a "$out"
echo "server RSS after the run: $(awk '/VmRSS/ {print $2 " " $3}' /proc/$server_pid/status)" | tee -a "$out"
log "results in $out"
