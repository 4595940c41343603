#!/usr/bin/env bash
# Installs what monotube needs on Debian 12, skipping whatever is already there.
#   scripts/setup.sh           build dependencies (compiler, CMake, -dev packages)
#   scripts/setup.sh --test    + test dependencies (PostgreSQL 15, Chromium, Catch2, curl,
#                              awscli, wrk, nginx, Node.js/npm when missing) and the npm
#                              packages of tests/e2e and tests/s3 (s3rver)
#   scripts/setup.sh --bench   + benchmark dependencies (wrk, nginx-light, hyperfine)
# Package lists live in scripts/deps.sh. Needs root (or sudo) only when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

want_test=0
want_bench=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test=1; want_bench=1 ;;
    --bench) want_bench=1 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option: $arg (try --help)" ;;
  esac
done

packages=("${BUILD_PACKAGES[@]}")
if [ "$want_test" = 1 ]; then
  packages+=("${TEST_PACKAGES[@]}")
  read -r -a node_pkgs <<<"$(node_packages)"
  packages+=("${node_pkgs[@]}")
fi
if [ "$want_bench" = 1 ]; then
  packages+=("${BENCH_PACKAGES[@]}" python3)
fi
install_packages "${packages[@]}"

# npm packages of a test folder with a package.json: tests/e2e (playwright-core drives
# Debian's /usr/bin/chromium; no browser is ever downloaded) and tests/s3 (s3rver, the
# S3-compatible server of the storage tests). `npm ci` when the lock file changed.
install_node_modules() {
  local dir=$1
  if [ ! -f "$dir/package.json" ]; then
    log "no $dir/package.json yet; skipping npm install"
    return 0
  fi
  command -v npm >/dev/null 2>&1 ||
    die "node is installed but npm is not; install npm for this Node.js (Debian: apt-get install npm)"
  local stamp="$dir/node_modules/.package-lock.json"
  if [ -f "$stamp" ] && [ "$stamp" -nt "$dir/package.json" ] &&
     { [ ! -f "$dir/package-lock.json" ] || [ "$stamp" -nt "$dir/package-lock.json" ]; }; then
    return 0
  fi
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm_config_audit=false npm_config_fund=false \
    npm_config_update_notifier=false
  if [ -f "$dir/package-lock.json" ]; then
    log "npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund)
  else
    log "npm install in $dir"
    (cd "$dir" && npm install --no-audit --no-fund)
  fi
}

if [ "$want_test" = 1 ]; then
  install_node_modules tests/e2e
  install_node_modules tests/s3
fi
