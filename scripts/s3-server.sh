#!/usr/bin/env bash
# A throw-away S3-compatible server for the tests: s3rver (tests/s3, npm) behind
# tests/s3/server.js, which adds Signature V4 checking, byte-ordered listings and
# AbortMultipartUpload. It listens on 127.0.0.1 on a port the kernel picks, keeps its
# objects in a fresh directory under /tmp, and starts with the bucket monotube-test.
#
#   bash scripts/s3-server.sh -- COMMAND [ARGS...]
#       starts the server, runs COMMAND with the variables below exported, stops the
#       server and removes its directory, and exits with COMMAND's status, e.g.
#       bash scripts/s3-server.sh -- ctest --test-dir build -L s3
#
# Or source it and call s3_server_start / s3_server_stop (scripts/test.sh does).
# Exported: MONOTUBE_TEST_S3_URL (s3://monotube-test?endpoint=http://127.0.0.1:PORT),
# MONOTUBE_TEST_S3_ENDPOINT, MONOTUBE_TEST_S3_ACCESS_KEY and MONOTUBE_TEST_S3_SECRET_KEY
# (s3rver's fixed S3RVER / S3RVER). Needs node and `scripts/setup.sh --test` (npm ci).

S3_DIR=
S3_PID=
S3_PORT=
S3_BUCKET=monotube-test

_s3_root() { (cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd); }

# Starts the server; exports the MONOTUBE_TEST_S3_* variables.
s3_server_start() {
  local root
  root=$(_s3_root)
  if ! command -v node >/dev/null 2>&1; then
    echo "error: node not found; s3rver needs Node.js (scripts/setup.sh --test installs it)" >&2
    return 1
  fi
  if [ ! -f "$root/tests/s3/node_modules/s3rver/package.json" ]; then
    echo "error: s3rver is not installed; run scripts/setup.sh --test (npm ci in tests/s3)" >&2
    return 1
  fi
  S3_DIR=$(mktemp -d /tmp/monotube-s3.XXXXXX)
  # --openssl-legacy-provider: s3rver's continuation tokens use DES (see server.js).
  node --openssl-legacy-provider "$root/tests/s3/server.js" --directory "$S3_DIR/data" --port-file "$S3_DIR/port" \
    --address 127.0.0.1 --port 0 --bucket "$S3_BUCKET" >"$S3_DIR/server.log" 2>&1 &
  S3_PID=$!
  # Up to 30 s for the port file, then until the server answers HTTP.
  local tries=0
  while [ ! -s "$S3_DIR/port" ]; do
    if ! kill -0 "$S3_PID" 2>/dev/null || [ "$tries" -ge 300 ]; then
      echo "error: s3rver did not start; log:" >&2
      tail -n 20 "$S3_DIR/server.log" >&2
      return 1
    fi
    tries=$((tries + 1))
    sleep 0.1
  done
  S3_PORT=$(head -n1 "$S3_DIR/port")
  tries=0
  until curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$S3_PORT/"; do
    if [ "$tries" -ge 50 ]; then
      echo "error: s3rver on 127.0.0.1:$S3_PORT does not answer; log:" >&2
      tail -n 20 "$S3_DIR/server.log" >&2
      return 1
    fi
    tries=$((tries + 1))
    sleep 0.1
  done
  export MONOTUBE_TEST_S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
  export MONOTUBE_TEST_S3_URL="s3://$S3_BUCKET?endpoint=$MONOTUBE_TEST_S3_ENDPOINT"
  export MONOTUBE_TEST_S3_ACCESS_KEY=S3RVER
  export MONOTUBE_TEST_S3_SECRET_KEY=S3RVER
  echo "s3rver $(node -p "require('$root/tests/s3/node_modules/s3rver/package.json').version") on" \
    "127.0.0.1:$S3_PORT ($S3_DIR)" >&2
}

# Stops the server started by s3_server_start and removes its directory. Safe to call
# more than once and when the start failed half-way.
s3_server_stop() {
  if [ -n "$S3_PID" ]; then
    kill "$S3_PID" 2>/dev/null || true
    local tries=0
    while kill -0 "$S3_PID" 2>/dev/null && [ "$tries" -lt 50 ]; do
      tries=$((tries + 1))
      sleep 0.1
    done
    kill -9 "$S3_PID" 2>/dev/null || true
    wait "$S3_PID" 2>/dev/null || true
    S3_PID=
  fi
  if [ -n "$S3_DIR" ]; then
    rm -rf "$S3_DIR"
    S3_DIR=
  fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  [ "${1:-}" = -- ] && shift
  if [ $# -eq 0 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
    sed -n '2,17p' "$0"
    exit 2
  fi
  trap s3_server_stop EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  s3_server_start
  set +e
  "$@"
  status=$?
  set -e
  exit "$status"
fi
