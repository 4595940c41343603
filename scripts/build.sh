#!/usr/bin/env bash
# Builds monotube (Release) into build/ (or $BUILD_DIR), configuring only when needed.
#   scripts/build.sh                 configure if build/ is new, then build
#   scripts/build.sh --werror        also turn warnings into errors (what CI does)
#   scripts/build.sh --tests         make sure the test suite is built (MONOTUBE_BUILD_TESTS=ON)
#   scripts/build.sh --target monotube   build only the binary (not the tests)
#   scripts/build.sh -DNAME=VALUE    other CMake cache settings
# The binary ends up at build/monotube. ccache is used automatically when installed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

build_dir=${BUILD_DIR:-build}
settings=(-DCMAKE_BUILD_TYPE=Release)
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --werror) settings+=(-DMONOTUBE_WERROR=ON) ;;
    --tests) settings+=(-DMONOTUBE_BUILD_TESTS=ON) ;;
    --target) [ $# -ge 2 ] || die "--target needs a name"; targets+=(--target "$2"); shift ;;
    -D*=*) settings+=("$1") ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option: $1 (try --help)" ;;
  esac
  shift
done

# Prints the value of a variable in the CMake cache of $build_dir (empty if none).
cache_value() {
  sed -n "s/^$1:[A-Za-z]*=//p" "$build_dir/CMakeCache.txt" 2>/dev/null | head -n1
}

if command -v ccache >/dev/null 2>&1; then
  # Kept in ccache's own config (default dir ~/.cache/ccache, or $CCACHE_DIR).
  ccache --max-size 2G >/dev/null
fi

# Configure when the directory is new or a requested setting differs from its cache.
cmake_args=()
need_configure=0
if [ ! -f "$build_dir/CMakeCache.txt" ] ||
   { [ ! -f "$build_dir/build.ninja" ] && [ ! -f "$build_dir/Makefile" ]; }; then
  need_configure=1
  if [ ! -f "$build_dir/CMakeCache.txt" ] && command -v ninja >/dev/null 2>&1; then
    cmake_args+=(-G Ninja)
  fi
fi
for setting in "${settings[@]}"; do
  name=${setting#-D}
  name=${name%%=*}
  name=${name%%:*}
  value=${setting#*=}
  if [ "${value^^}" != "$(cache_value "$name" | tr '[:lower:]' '[:upper:]')" ]; then
    need_configure=1
  fi
done
cmake_args+=("${settings[@]}")

start=$(now_ms)
if [ "$need_configure" = 1 ]; then
  log "configuring $build_dir"
  cmake -S . -B "$build_dir" "${cmake_args[@]}"
fi
log "building $build_dir"
cmake --build "$build_dir" "${targets[@]}"
log "build finished in $(fmt_ms $(( $(now_ms) - start ))) -> $build_dir/monotube"
