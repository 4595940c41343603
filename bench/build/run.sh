#!/usr/bin/env bash
# Build-time benchmark: how long a Release build takes from scratch and after editing
# one source file, with ccache disabled so the compiler really runs.
#
#   bash bench/build/run.sh                 whole tree, tests included (what CI builds)
#   bash bench/build/run.sh --no-tests      only the monotube binary (what Docker builds)
#   TOUCH_FILE=src/app/cli.cpp bash bench/build/run.sh
#
# Builds in a fresh directory under /tmp (removed afterwards; KEEP=1 keeps it), touches
# TOUCH_FILE (default src/core/http/router.cpp) to measure the edit-compile cycle, and
# writes the numbers to bench/results/build-<date>.txt. Uses all cores (ninja's default).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh

tests=ON
for arg in "$@"; do
  case "$arg" in
    --no-tests) tests=OFF ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option: $arg (try --help)" ;;
  esac
done
touch_file=${TOUCH_FILE:-src/core/http/router.cpp}
[ -f "$touch_file" ] || die "$touch_file does not exist; set TOUCH_FILE"

bash scripts/setup.sh
export CCACHE_DISABLE=1

dir=$(mktemp -d /tmp/monotube-build-bench.XXXXXX)
cleanup() {
  if [ "${KEEP:-0}" = 1 ]; then log "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs "$@" quietly and prints how long it took in seconds; shows the log on failure.
timed() {
  local start took
  start=$(now_ms)
  if ! "$@" >"$dir.log" 2>&1; then
    tail -n 30 "$dir.log" >&2
    rm -f "$dir.log"
    die "failed: $*"
  fi
  took=$(( $(now_ms) - start ))
  rm -f "$dir.log"
  awk -v ms="$took" 'BEGIN { printf "%.1f", ms / 1000 }'
}

log "configure (tests $tests) in $dir"
configure_s=$(timed cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMONOTUBE_BUILD_TESTS=$tests)
log "full build"
full_s=$(timed cmake --build "$dir")
objects=$(find "$dir" -name '*.o' | wc -l)
log "no-op build"
noop_s=$(timed cmake --build "$dir")
log "touch $touch_file and rebuild"
touch "$touch_file"
touch_s=$(timed cmake --build "$dir")

mkdir -p bench/results
result=bench/results/build-$(date +%Y%m%d-%H%M%S).txt
{
  echo "monotube build benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (uncommitted changes)')"
  echo "machine: $(nproc) cores; $(g++ --version | head -n1); ninja $(ninja --version); ccache disabled"
  echo "Release, tests $tests, $objects object files"
  echo
  printf '%-52s %8s s\n' "configure" "$configure_s"
  printf '%-52s %8s s\n' "full build from scratch" "$full_s"
  printf '%-52s %8s s\n' "no-op build" "$noop_s"
  printf '%-52s %8s s\n' "rebuild after touching $touch_file" "$touch_s"
} | tee "$result"
log "results written to $result"
