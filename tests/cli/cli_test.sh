#!/usr/bin/env bash
# The real binary as an operator uses it: commands, configuration errors, serving,
# signals. Usage: cli_test.sh path/to/monotube
set -uo pipefail
BIN=$(realpath "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/monotube-cli-test.XXXXXX)
PASSED=0
FAILED=0
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
# The test runner's own variables must not leak into the binary under test.
unset MONOTUBE_TEST_DB
PG_ADMIN_URL=${MONOTUBE_TEST_PG_URL:-}
unset MONOTUBE_TEST_PG_URL

pass() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $1"; [ $# -gt 1 ] && echo "$2" | sed 's/^/    /'; }
check() { # check NAME COMMAND... : passes when the command succeeds
  local name=$1; shift
  if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$out"; fi
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { # wait_http URL SECONDS
  local deadline=$((SECONDS + $2))
  while [ $SECONDS -lt $deadline ]; do
    curl -fs -o /dev/null "$1" && return 0
    sleep 0.1
  done
  return 1
}
wait_exit() { # wait_exit PID SECONDS -> sets EXIT_CODE
  local deadline=$((SECONDS + $2))
  while kill -0 "$1" 2>/dev/null; do
    [ $SECONDS -ge $deadline ] && { EXIT_CODE=timeout; return 1; }
    sleep 0.1
  done
  wait "$1"; EXIT_CODE=$?
}
start_server() { # start_server LOGFILE [env...]; sets SERVER_PID, PORT
  local log=$1; shift
  PORT=$(free_port)
  env MONOTUBE_LISTEN=127.0.0.1:$PORT MONOTUBE_DATA_DIR="$WORK/data" MONOTUBE_STATIC_DIR="$ROOT/static" \
    MONOTUBE_LOG_LEVEL=info "$@" "$BIN" serve >"$log" 2>&1 &
  SERVER_PID=$!
  wait_http "http://127.0.0.1:$PORT/healthz" 20
}

# --- commands -------------------------------------------------------------------
out=$("$BIN" version 2>&1) && [[ "$out" =~ ^monotube\ [0-9]+\.[0-9]+\.[0-9]+$ ]] && pass "version" || fail "version" "$out"
out=$("$BIN" help 2>&1) && grep -q "serve" <<<"$out" && grep -q "MONOTUBE_LISTEN" <<<"$out" && pass "help lists commands and settings" || fail "help" "$out"
out=$("$BIN" --no-such-flag 2>&1); [ $? -ne 0 ] && pass "unknown flag is refused" || fail "unknown flag" "$out"
out=$("$BIN" frobnicate 2>&1); [ $? -ne 0 ] && pass "unknown command is refused" || fail "unknown command" "$out"

# --- dev transcode: the video pipeline on a local file, no server -----------------
MEDIA="$ROOT/../shared/media"
out=$(MONOTUBE_DATA_DIR="$WORK/cfg" timeout 120 "$BIN" dev transcode --preset ultrafast "$MEDIA/flower.mp4" \
  "$WORK/hls" 2>&1) && [ -s "$WORK/hls/master.m3u8" ] && [ -s "$WORK/hls/480p/seg-00001.m4s" ] &&
  grep -q "^480p 854x480 avc1" <<<"$out" && pass "dev transcode writes the HLS ladder" || fail "dev transcode" "$out"
out=$(MONOTUBE_DATA_DIR="$WORK/cfg" timeout 60 "$BIN" dev transcode "$MEDIA/truncated.mp4" "$WORK/hls-cut" 2>&1)
code=$?
[ $code -eq 1 ] && grep -q "The file is cut off" <<<"$out" && [ -z "$(ls -A "$WORK/hls-cut" 2>/dev/null)" ] &&
  pass "dev transcode refuses a cut-off upload" || fail "dev transcode of truncated.mp4 (exit $code)" "$out"

# --- configuration errors stop the start and name the setting --------------------
expect_config_error() { # NAME SETTING env...
  local name=$1 setting=$2; shift 2
  out=$(env MONOTUBE_DATA_DIR="$WORK/cfg" MONOTUBE_STATIC_DIR="$ROOT/static" "$@" timeout 10 "$BIN" serve 2>&1)
  local code=$?
  if [ $code -eq 2 ] && grep -q "configuration error" <<<"$out" && grep -q "$setting" <<<"$out"; then pass "$name"
  else fail "$name (exit $code)" "$out"; fi
}
expect_config_error "bad listen address" "listen" MONOTUBE_LISTEN=nonsense
expect_config_error "bad number" "max_body_bytes" MONOTUBE_MAX_BODY_BYTES=lots
expect_config_error "bad database url" "database_url" MONOTUBE_DATABASE_URL=mysql://x
expect_config_error "missing TLS key" "tls_key" MONOTUBE_TLS_CERT=/etc/hostname
echo 'listen = "127.0.0.1:1"
bogus_key = 1' >"$WORK/bad.toml"
expect_config_error "unknown key in config file" "bogus_key" MONOTUBE_CONFIG="$WORK/bad.toml"
out=$(MONOTUBE_DATA_DIR="$WORK/cfg" MONOTUBE_STATIC_DIR="$ROOT/static" "$BIN" serve --listen 'x:y' 2>&1); code=$?
[ $code -eq 2 ] && grep -q -- "--listen" <<<"$out" && pass "bad flag value names the flag" || fail "bad flag value (exit $code)" "$out"
out=$(MONOTUBE_DATA_DIR="$WORK/cfg" MONOTUBE_STATIC_DIR="$ROOT/static" MONOTUBE_DATABASE_URL="sqlite:$WORK/cfg/x.db" \
  MONOTUBE_S3_SECRET_KEY=topsecret "$BIN" config 2>&1)
grep -q "s3_secret_key = (set)" <<<"$out" && ! grep -q topsecret <<<"$out" && pass "config masks secrets" || fail "config masks secrets" "$out"

# --- migrate and user create ------------------------------------------------------
export MONOTUBE_DATA_DIR="$WORK/data" MONOTUBE_STATIC_DIR="$ROOT/static"
out=$("$BIN" migrate 2>&1) && grep -Eq "schema version 0 -> [0-9]+" <<<"$out" && pass "migrate applies migrations" || fail "migrate" "$out"
out=$("$BIN" migrate 2>&1) && grep -q "(0 migration(s) applied)" <<<"$out" && pass "migrate twice is a no-op" || fail "migrate twice" "$out"
out=$("$BIN" user create --username Admin_1 --email admin@example.org --password 'correct horse battery' --role admin 2>&1) \
  && grep -q "created admin 'Admin_1'" <<<"$out" && pass "user create makes an admin" || fail "user create" "$out"
out=$("$BIN" user create --username admin_1 --email other@example.org --password 'correct horse battery' 2>&1); code=$?
[ $code -ne 0 ] && grep -qi "username" <<<"$out" && pass "duplicate username (ignoring case) is refused" || fail "duplicate username (exit $code)" "$out"
out=$("$BIN" user create --username bob --email bob@example.org --password short 2>&1); code=$?
[ $code -eq 2 ] && grep -qi "password" <<<"$out" && pass "short password is refused" || fail "short password (exit $code)" "$out"
out=$("$BIN" user create --username bob --email not-an-email --password 'long enough password' 2>&1); code=$?
[ $code -eq 2 ] && grep -qi "e-mail" <<<"$out" && pass "bad e-mail is refused" || fail "bad e-mail (exit $code)" "$out"
out=$("$BIN" user create --username bob --email bob@example.org --password 'long enough password' --role king 2>&1); code=$?
[ $code -ne 0 ] && pass "unknown role is refused" || fail "unknown role" "$out"
unset MONOTUBE_DATA_DIR MONOTUBE_STATIC_DIR

# --- serve, probe, shut down --------------------------------------------------------
if start_server "$WORK/serve.log"; then
  pass "serve starts and answers /healthz"
  code=$(curl -s -o "$WORK/ready.json" -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")
  [ "$code" = 200 ] && pass "/readyz is 200" || fail "/readyz ($code)" "$(cat "$WORK/ready.json")"
  curl -fs "http://127.0.0.1:$PORT/metrics" | grep -q '^monotube_http_requests_total{route="/healthz"' \
    && pass "/metrics counts requests" || fail "/metrics"
  curl -fs -H 'Accept: text/html' "http://127.0.0.1:$PORT/" | grep -qi "<html" && pass "home page is served" || fail "home page"
  MONOTUBE_LISTEN=127.0.0.1:$PORT "$BIN" healthcheck >/dev/null 2>&1 && pass "healthcheck command" || fail "healthcheck command"
  grep -Eq '\[[A-Za-z0-9_-]{12}\] 127\.0\.0\.1 "GET /healthz" 200' "$WORK/serve.log" \
    && pass "access log line with request id" || fail "access log line" "$(tail -5 "$WORK/serve.log")"

  # Storage becomes unusable: readiness says so, and recovers.
  mv "$WORK/data/objects" "$WORK/objects.away" && touch "$WORK/data/objects"
  code=$(curl -s -o "$WORK/ready.json" -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")
  [ "$code" = 503 ] && grep -q '"storage' "$WORK/ready.json" && grep -q '"code":"not_ready"' "$WORK/ready.json" \
    && pass "/readyz is 503 with the reason when storage is down" || fail "/readyz storage down ($code)" "$(cat "$WORK/ready.json")"
  grep -q "readiness: storage check failed" "$WORK/serve.log" && ! grep -q "$WORK" "$WORK/ready.json" \
    && pass "readiness detail is logged, not shown" || fail "readiness detail placement" "$(cat "$WORK/ready.json")"
  rm -f "$WORK/data/objects" && mv "$WORK/objects.away" "$WORK/data/objects"
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")
  [ "$code" = 200 ] && pass "/readyz recovers" || fail "/readyz recovers ($code)"

  # A second server on the same port fails with a clear message.
  out=$(MONOTUBE_LISTEN=127.0.0.1:$PORT MONOTUBE_DATA_DIR="$WORK/data2" MONOTUBE_STATIC_DIR="$ROOT/static" timeout 10 "$BIN" serve 2>&1); code=$?
  [ $code -eq 1 ] && grep -q "cannot listen on 127.0.0.1:$PORT" <<<"$out" && pass "port in use is reported" || fail "port in use (exit $code)" "$out"

  kill -TERM "$SERVER_PID"
  wait_exit "$SERVER_PID" 15
  [ "$EXIT_CODE" = 0 ] && grep -q "shutdown complete" "$WORK/serve.log" && pass "SIGTERM exits 0" || fail "SIGTERM (exit $EXIT_CODE)" "$(tail -5 "$WORK/serve.log")"
  SERVER_PID=""
else
  fail "serve starts" "$(tail -20 "$WORK/serve.log")"
fi

# --- SIGTERM while a download is in flight: it completes, then the process exits 0 ---
mkdir -p "$WORK/static" && cp -r "$ROOT/static/." "$WORK/static/"
head -c 12000000 /dev/urandom >"$WORK/static/big.bin"
PORT=$(free_port)
MONOTUBE_LISTEN=127.0.0.1:$PORT MONOTUBE_DATA_DIR="$WORK/data" MONOTUBE_STATIC_DIR="$WORK/static" \
  MONOTUBE_SHUTDOWN_TIMEOUT_SECONDS=30 "$BIN" serve >"$WORK/drain.log" 2>&1 &
SERVER_PID=$!
if wait_http "http://127.0.0.1:$PORT/healthz" 20; then
  curl -s --limit-rate 4M -o "$WORK/big.out" -w '%{http_code}' "http://127.0.0.1:$PORT/big.bin" >"$WORK/curl.code" &
  CURL_PID=$!
  sleep 1
  kill -TERM "$SERVER_PID"
  wait "$CURL_PID"
  wait_exit "$SERVER_PID" 30
  if [ "$(cat "$WORK/curl.code")" = 200 ] && cmp -s "$WORK/big.out" "$WORK/static/big.bin" && [ "$EXIT_CODE" = 0 ]; then
    pass "an in-flight download finishes during graceful shutdown"
  else
    fail "in-flight download during shutdown (curl $(cat "$WORK/curl.code"), exit $EXIT_CODE, $(stat -c %s "$WORK/big.out" 2>/dev/null) bytes)" "$(tail -5 "$WORK/drain.log")"
  fi
else
  fail "drain server starts" "$(tail -20 "$WORK/drain.log")"
fi
SERVER_PID=""

# --- brute force across two server processes sharing one database ----------------------
# brute_force_two_processes LABEL [env...]: 10 wrong passwords spread over two servers
# answer 401, the 11th (on either) 429 with Retry-After; the first admin from the
# environment can log in.
brute_force_two_processes() {
  local label=$1; shift
  local pids=() ports=() i code body
  env "$@" "$BIN" user create --username target --email target@example.org \
    --password 'correct horse battery staple' --role viewer >/dev/null 2>&1 || { fail "$label: user create"; return; }
  for i in 1 2; do
    if start_server "$WORK/twin$i.log" "$@"; then pids+=("$SERVER_PID"); ports+=("$PORT")
    else fail "$label: server $i starts" "$(tail -20 "$WORK/twin$i.log")"; fi
  done
  SERVER_PID=""
  if [ ${#ports[@]} -eq 2 ]; then
    local ok=1
    for i in $(seq 1 10); do
      code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
        -d "{\"login\":\"target\",\"password\":\"wrong password $i\"}" \
        "http://127.0.0.1:${ports[$((i % 2))]}/api/auth/login")
      [ "$code" = 401 ] || { ok=0; fail "$label: wrong password $i answered $code, not 401"; }
    done
    [ $ok = 1 ] && pass "$label: 10 wrong passwords over two processes are 401"
    for i in 0 1; do
      body=$(curl -s -D "$WORK/headers" -H 'Content-Type: application/json' \
        -d '{"login":"target","password":"correct horse battery staple"}' "http://127.0.0.1:${ports[$i]}/api/auth/login")
      if head -1 "$WORK/headers" | grep -q ' 429' && grep -qi '^retry-after: [0-9]' "$WORK/headers"; then
        pass "$label: the 11th attempt on server $((i + 1)) is 429 with Retry-After"
      else
        fail "$label: 11th attempt on server $((i + 1))" "$(cat "$WORK/headers") $body"
      fi
    done
    code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
      -d '{"login":"boss","password":"the boss passphrase"}' "http://127.0.0.1:${ports[0]}/api/auth/login")
    [ "$code" = 200 ] && pass "$label: the first admin from MONOTUBE_ADMIN_* logs in" || fail "$label: first admin ($code)"
  fi
  for i in "${pids[@]}"; do kill -TERM "$i"; wait_exit "$i" 15; done
}
ADMIN_ENV=(MONOTUBE_ADMIN_USERNAME=boss MONOTUBE_ADMIN_EMAIL=boss@example.org MONOTUBE_ADMIN_PASSWORD='the boss passphrase')
brute_force_two_processes "SQLite" MONOTUBE_DATA_DIR="$WORK/twin-data" "${ADMIN_ENV[@]}"

# --- a database that cannot be reached stops the start with a clear message ---------
DEAD_PORT=$(free_port)
out=$(MONOTUBE_DATA_DIR="$WORK/data3" MONOTUBE_STATIC_DIR="$ROOT/static" \
  MONOTUBE_DATABASE_URL="postgresql://monotube:pw@127.0.0.1:$DEAD_PORT/monotube" timeout 30 "$BIN" serve 2>&1); code=$?
[ $code -eq 1 ] && grep -qi "database" <<<"$out" && ! grep -q ":pw@" <<<"$out" \
  && pass "unreachable PostgreSQL is reported without the password" || fail "unreachable PostgreSQL (exit $code)" "$out"

# --- the same binary over PostgreSQL --------------------------------------------------
if [ -n "$PG_ADMIN_URL" ]; then
  DB="monotube_cli_$$"
  psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $DB" >/dev/null
  PG_URL="${PG_ADMIN_URL%/*}/$DB"
  if start_server "$WORK/pg.log" MONOTUBE_DATABASE_URL="$PG_URL"; then
    code=$(curl -s -o "$WORK/ready.json" -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")
    [ "$code" = 200 ] && pass "serve on PostgreSQL is ready" || fail "serve on PostgreSQL ready ($code)" "$(cat "$WORK/ready.json")"
    kill -TERM "$SERVER_PID"; wait_exit "$SERVER_PID" 15
    [ "$EXIT_CODE" = 0 ] && pass "PostgreSQL server exits 0 on SIGTERM" || fail "PostgreSQL SIGTERM ($EXIT_CODE)"
  else
    fail "serve on PostgreSQL" "$(tail -20 "$WORK/pg.log")"
  fi
  SERVER_PID=""
  brute_force_two_processes "PostgreSQL" MONOTUBE_DATABASE_URL="$PG_URL" MONOTUBE_DATA_DIR="$WORK/twin-pg" "${ADMIN_ENV[@]}"
  psql "$PG_ADMIN_URL" -qc "DROP DATABASE $DB WITH (FORCE)" >/dev/null
else
  echo "note - MONOTUBE_TEST_PG_URL not set: the PostgreSQL part of this script did not run"
fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
