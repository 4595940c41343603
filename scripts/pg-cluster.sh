#!/usr/bin/env bash
# A throw-away PostgreSQL 15 cluster for the tests: a fresh directory under /tmp,
# trust authentication, loopback only, port 55432 or the next free one.
#
#   bash scripts/pg-cluster.sh -- COMMAND [ARGS...]
#       starts a cluster, runs COMMAND with MONOTUBE_TEST_PG_URL exported, stops the
#       cluster and removes its directory, and exits with COMMAND's status, e.g.
#       bash scripts/pg-cluster.sh -- ctest --test-dir build -L postgresql
#
# Or source it and call pg_cluster_start / pg_cluster_stop (scripts/test.sh does).
# As root the server runs as the `postgres` user (initdb refuses root); as another
# user it runs as that user.

# shellcheck disable=SC2034  # PG_PORT is for scripts that source this file
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_DIR=
PG_PORT=

_pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

# Starts the cluster; exports MONOTUBE_TEST_PG_URL and MONOTUBE_TEST_PG_PORT.
pg_cluster_start() {
  if [ ! -x "$PG_BIN/initdb" ]; then
    echo "error: $PG_BIN/initdb not found; install PostgreSQL 15 (apt-get install postgresql)" >&2
    return 1
  fi
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "error: no 'postgres' user; reinstall the postgresql-common package" >&2
    return 1
  fi
  PG_DIR=$(mktemp -d /tmp/monotube-pg.XXXXXX)
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$PG_DIR"
  fi
  if ! _pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres -E UTF8 --locale=C \
      --no-sync >"$PG_DIR/initdb.log" 2>&1; then
    echo "error: initdb failed:" >&2
    tail -n 20 "$PG_DIR/initdb.log" >&2
    return 1
  fi
  local port=${MONOTUBE_TEST_PG_PORT:-55432} tries=0
  while :; do
    if [ "$tries" -ge 20 ]; then
      echo "error: could not start PostgreSQL on any port from ${MONOTUBE_TEST_PG_PORT:-55432}; log:" >&2
      tail -n 20 "$PG_DIR/server.log" >&2
      return 1
    fi
    tries=$((tries + 1))
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      port=$((port + 1))
      continue
    fi
    # The socket lives in the cluster's own directory, so it can't clash with another
    # server's socket in /tmp; clients use TCP on 127.0.0.1.
    if _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
        -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null; then
      break
    fi
    if grep -q 'could not bind\|could not create any TCP/IP sockets\|already in use' "$PG_DIR/server.log" 2>/dev/null; then
      port=$((port + 1))
      continue
    fi
    echo "error: PostgreSQL did not start; log:" >&2
    tail -n 20 "$PG_DIR/server.log" >&2
    return 1
  done
  PG_PORT=$port
  export MONOTUBE_TEST_PG_PORT=$port
  export MONOTUBE_TEST_PG_URL="postgresql://postgres@127.0.0.1:$port/postgres"
  echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($PG_DIR)" >&2
}

# Stops the cluster started by pg_cluster_start and removes its directory. Safe to call
# more than once and when the start failed half-way.
pg_cluster_stop() {
  [ -n "$PG_DIR" ] || return 0
  if [ -f "$PG_DIR/data/postmaster.pid" ]; then
    if ! _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w -t 30 stop >/dev/null 2>&1; then
      local pid
      pid=$(head -n1 "$PG_DIR/data/postmaster.pid" 2>/dev/null || true)
      if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi
    fi
  fi
  rm -rf "$PG_DIR"
  PG_DIR=
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  [ "${1:-}" = -- ] && shift
  if [ $# -eq 0 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
    sed -n '2,13p' "$0"
    exit 2
  fi
  trap pg_cluster_stop EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  pg_cluster_start
  set +e
  "$@"
  status=$?
  set -e
  exit "$status"
fi
