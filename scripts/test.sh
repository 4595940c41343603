#!/usr/bin/env bash
# The test command: installs what is missing (build + test dependencies, tests/e2e and
# tests/s3 npm packages), builds with warnings as errors, starts a throw-away PostgreSQL 15
# cluster and a throw-away S3 server (s3rver), runs the whole CTest suite against SQLite
# and PostgreSQL and against local and S3 storage (browser tests included), stops both
# servers, and exits with CTest's status.
#   bash scripts/test.sh                 everything
#   bash scripts/test.sh -R unit         extra arguments go to ctest
#   bash scripts/test.sh -L postgresql   only the PostgreSQL-labelled tests
#   bash scripts/test.sh -R storage      the storage tests (local disk and S3)
# Works as root on a fresh Debian 12; as another user it needs sudo for missing packages.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
. scripts/pg-cluster.sh
. scripts/s3-server.sh

case "${1:-}" in
  -h|--help) usage; exit 0 ;;
esac

build_dir=${BUILD_DIR:-build}
# Two test processes at once fit the 2-core machines this runs on; override with CTEST_JOBS.
jobs=${CTEST_JOBS:-2}

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  local status=$?
  s3_server_stop
  pg_cluster_stop
  phase_summary
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

phase_begin setup
bash scripts/setup.sh --test
phase_end

phase_begin build
BUILD_DIR=$build_dir bash scripts/build.sh --werror --tests
phase_end

phase_begin postgresql
pg_cluster_start
phase_end

phase_begin s3
s3_server_start
phase_end

phase_begin ctest
set +e
ctest --test-dir "$build_dir" --output-on-failure --no-tests=error -j "$jobs" "$@"
status=$?
set -e
phase_end

if [ "$status" -eq 0 ]; then
  log "all tests passed"
else
  log "ctest failed (exit $status)"
fi
exit "$status"
