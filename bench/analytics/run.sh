#!/usr/bin/env bash
# Analytics benchmark: channels and videos from `monotube dev gen-catalog`, EVENTS view
# events (starts and heartbeats, in viewing sessions over the last DAYS days) bulk-inserted
# with SQL, the roll-up timed (`monotube analytics rollup`), then the channel dashboard
# API (GET /api/analytics/channel) driven over HTTP for many channels and every range
# (bench/analytics/driver.py), reporting p50/p95/p99.
#
#   bash bench/analytics/run.sh                       # 10,000,000 events, 5,000 videos, 500 channels
#   EVENTS=100000 VIDEOS=500 USERS=50 REQUESTS=200 bash bench/analytics/run.sh   # a quick smoke run
#   BIN=/path/to/monotube bash bench/analytics/run.sh  # that binary, no build
#
# The data (SQLite) is generated once per size into
# ~/.cache/monotube-bench/analytics-<events>-<videos>-<users>/ and reused (FRESH=1 makes it
# again). Results go to bench/results/analytics-<date>.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh

EVENTS=${EVENTS:-10000000}
VIDEOS=${VIDEOS:-5000}
USERS=${USERS:-500}
DAYS=${DAYS:-90}
REQUESTS=${REQUESTS:-2000}
CLIENTS=${CLIENTS:-4}
MAX_SECONDS=${MAX_SECONDS:-90}
CACHE_DIR=${CACHE_DIR:-$HOME/.cache/monotube-bench}

[ -f /usr/share/dict/words ] || bash scripts/setup.sh --bench
command -v sqlite3 >/dev/null || bash scripts/setup.sh --bench
[ -n "${BIN:-}" ] || bash scripts/build.sh --target monotube
bin=${BIN:-$(pwd)/${BUILD_DIR:-build}/monotube}
data_dir=$CACHE_DIR/analytics-$EVENTS-$VIDEOS-$USERS
db=$data_dir/monotube.db
mkdir -p bench/results
out=bench/results/analytics-$(date -u +%Y%m%d-%H%M%S).md
export MONOTUBE_DATA_DIR=$data_dir MONOTUBE_LOG_LEVEL=warn MONOTUBE_ANALYTICS_ROLLUP_INTERVAL_SECONDS=0

{
  echo "# Analytics benchmark, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo
  echo "$(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB; $EVENTS view events over $DAYS days, $VIDEOS videos, $USERS channels"
  echo
} >"$out"

if [ -n "${FRESH:-}" ] || [ ! -f "$data_dir/generated" ]; then
  rm -rf "$data_dir"
  mkdir -p "$data_dir"
  log "generating $VIDEOS videos of $USERS channels into $data_dir"
  start=$(now_ms)
  "$bin" dev gen-catalog --videos "$VIDEOS" --users "$USERS" --no-index >"$data_dir/generated.log"
  log "inserting $EVENTS view events"
  # Viewing sessions of 5 events: a start (counted) and 4 heartbeats of 15 s each, one
  # viewer among 200,000, a video chosen with a skew (a few are popular), spread evenly
  # over the last DAYS days in time order (as they would arrive).
  now=$(now_ms)
  sessions=$(( EVENTS / 5 ))
  sqlite3 "$db" <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -1000000;
BEGIN;
CREATE TEMP TABLE ids AS SELECT ROW_NUMBER() OVER (ORDER BY id) - 1 AS n, id, duration_ms FROM videos;
CREATE INDEX temp.ids_n ON ids (n);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < $sessions - 1),
  sessions AS MATERIALIZED (SELECT i, CAST(((ABS(RANDOM()) % 1000000) / 1000000.0) * ((ABS(RANDOM()) % 1000000) / 1000000.0) * $VIDEOS AS INTEGER) AS n,
                      ABS(RANDOM()) % 200000 AS viewer, $now - $DAYS * 86400000 + i * ($DAYS * 86400000 / $sessions) AS t FROM s),
  steps(j) AS (VALUES (0), (1), (2), (3), (4))
INSERT INTO view_events (video_id, viewer_key, counted, watch_time_ms, position_ms, created_at)
SELECT ids.id, 'a:' || sessions.viewer, CASE WHEN j = 0 THEN 1 ELSE 0 END, CASE WHEN j = 0 THEN 0 ELSE 15000 END,
       MIN(j * 15000, COALESCE(ids.duration_ms, 0)), sessions.t + j * 15000
FROM sessions CROSS JOIN steps CROSS JOIN ids WHERE ids.n = sessions.n;
COMMIT;
SQL
  echo "generation (catalog + $EVENTS events): $(fmt_ms $(( $(now_ms) - start )))" >>"$data_dir/generated.log"
  log "rolling up"
  start=$(now_ms)
  "$bin" analytics rollup | tee -a "$data_dir/generated.log"
  echo "roll-up of every event from scratch: $(fmt_ms $(( $(now_ms) - start )))" >>"$data_dir/generated.log"
  touch "$data_dir/generated"
fi
{
  echo '```'
  cat "$data_dir/generated.log"
  echo "view_events: $(sqlite3 "$db" 'SELECT COUNT(*) FROM view_events'), hourly video rows: $(sqlite3 "$db" 'SELECT COUNT(*) FROM analytics_video_stats WHERE span = 3600000'), database: $(du -sh "$db" | cut -f1)"
  echo '```'
  echo
} | tee -a "$out"

# An incremental run with nothing new, as a server does every 20 s.
start=$(now_ms)
"$bin" analytics rollup >/dev/null
echo "incremental roll-up with nothing new: $(fmt_ms $(( $(now_ms) - start )))" | tee -a "$out"
echo | tee -a "$out"

# An admin to ask for any channel, and the channels to ask for: the busiest, the middle, the quietest.
admin_password="bench-password-$(date +%s)"
admin_name="benchadmin$(date +%s)"
"$bin" user create --username "$admin_name" --email "$admin_name@example.org" --password "$admin_password" --role admin >/dev/null
sqlite3 "$db" "SELECT u.public_id FROM users u JOIN videos v ON v.owner_id = u.id GROUP BY u.id ORDER BY SUM(v.views) DESC, u.id" \
  >"$data_dir/channels.txt"

port=$(free_port)
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; then wait "$server_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
MONOTUBE_LISTEN=127.0.0.1:$port MONOTUBE_STATIC_DIR=$(pwd)/static "$bin" serve >"$data_dir/server.log" 2>&1 &
server_pid=$!
deadline=$(( $(date +%s) + 120 ))
until curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; do
  kill -0 "$server_pid" 2>/dev/null || { cat "$data_dir/server.log"; die "the server exited"; }
  [ "$(date +%s)" -lt "$deadline" ] || die "the server did not start within 2 minutes"
  sleep 0.2
done
log "server ready on 127.0.0.1:$port"

/usr/bin/python3 bench/analytics/driver.py --port "$port" --login "$admin_name" --password "$admin_password" \
  --channels "$data_dir/channels.txt" --requests "$REQUESTS" --clients "$CLIENTS" --max-seconds "$MAX_SECONDS" \
  | tee -a "$out"
echo | tee -a "$out"
echo "server RSS after the run: $(awk '/VmRSS/ {print $2 " " $3}' /proc/$server_pid/status)" | tee -a "$out"
log "results in $out"
