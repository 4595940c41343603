#!/usr/bin/env bash
# HTTP benchmark: monotube against nginx, both on loopback, measured with wrk.
#
#   bash bench/http/run.sh
#   DURATION=30s CONNECTIONS=200 bash bench/http/run.sh
#
# Starts the Release build/monotube (built if needed) with a throw-away data dir and
# Debian's nginx serving the same static/ dir, then runs wrk against:
#   monotube /healthz      vs  nginx `location = /healthz { return 200 'ok'; }`
#   monotube <static file> vs  nginx <same static file>
# Prints requests/s, p50/p99 latency, the monotube/nginx ratios and monotube's memory
# (RSS idle, after the load, peak), and writes it all to bench/results/http-<date>.txt.
# Both servers and wrk share this machine's cores, so compare ratios, not absolutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
CONNECTIONS=${CONNECTIONS:-100}
THREADS=${THREADS:-2}
STATIC_FILE=${STATIC_FILE:-}

bash scripts/setup.sh --bench
bash scripts/build.sh --target monotube
command -v nginx >/dev/null || die "nginx not found (apt-get install nginx-light)"
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
bin=${BUILD_DIR:-build}/monotube
static_dir=$(pwd)/static

# The static file to fetch: STATIC_FILE, else css/app.css, else the first CSS/JS file,
# else index.html.
if [ -z "$STATIC_FILE" ] && [ -f static/css/app.css ]; then
  STATIC_FILE=css/app.css
fi
if [ -z "$STATIC_FILE" ]; then
  STATIC_FILE=$(cd static && find . -type f \( -name '*.css' -o -name '*.js' \) | sort | head -n1 | sed 's#^\./##')
fi
[ -n "$STATIC_FILE" ] || STATIC_FILE=index.html
[ -f "static/$STATIC_FILE" ] || die "static/$STATIC_FILE does not exist; set STATIC_FILE"

tmp=$(mktemp -d /tmp/monotube-bench.XXXXXX)
chmod 755 "$tmp"
monotube_pid=
nginx_pid=
cleanup() {
  local pid
  for pid in $monotube_pid $nginx_pid; do
    if kill "$pid" 2>/dev/null; then
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

monotube_port=$(free_port)
nginx_port=$(free_port)
while [ "$nginx_port" = "$monotube_port" ]; do nginx_port=$(free_port); done

# Waits until GET $1 answers (any HTTP status), for at most 30 s.
wait_http() {
  local deadline=$(( $(date +%s) + 30 ))
  until curl -s -o /dev/null "$1"; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

log "starting monotube on 127.0.0.1:$monotube_port"
MONOTUBE_LISTEN=127.0.0.1:$monotube_port MONOTUBE_DATA_DIR=$tmp/data MONOTUBE_STATIC_DIR=$static_dir \
  MONOTUBE_LOG_LEVEL=warn "$bin" serve >"$tmp/monotube.log" 2>&1 &
monotube_pid=$!
wait_http "http://127.0.0.1:$monotube_port/healthz" ||
  { tail -n 20 "$tmp/monotube.log" >&2; die "monotube did not start"; }
sleep 1
rss_idle=$(ps -o rss= -p "$monotube_pid" | tr -d ' ')

log "starting nginx on 127.0.0.1:$nginx_port"
mkdir -p "$tmp/nginx"
cat >"$tmp/nginx.conf" <<CONF
daemon off;
worker_processes 2;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  server {
    listen 127.0.0.1:$nginx_port;
    root $static_dir;
    location = /healthz { default_type text/plain; return 200 'ok'; }
  }
}
CONF
nginx -p "$tmp/nginx" -c "$tmp/nginx.conf" 2>>"$tmp/nginx/error.log" &
nginx_pid=$!
wait_http "http://127.0.0.1:$nginx_port/healthz" ||
  { cat "$tmp/nginx/error.log" >&2; die "nginx did not start"; }

# Converts a wrk latency ("635.00us", "2.39ms", "1.02s") to milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    printf "%.2f", n }'
}

declare -A RPS P50 P99 BAD
notes=()
# Runs wrk against one URL and records its numbers under the name $1; $3 is the PID of
# the server, checked before and after so a crash is reported instead of measured.
measure() {
  local name=$1 url=$2 pid=$3 status out
  RPS[$name]=-; P50[$name]=-; P99[$name]=-
  if ! kill -0 "$pid" 2>/dev/null; then
    BAD[$name]="not running"
    return
  fi
  status=$(curl -s -o /dev/null -w '%{http_code}' "$url" || true)
  if [ "$status" != 200 ]; then
    log "$name: $url answers $status, skipped"
    BAD[$name]="HTTP $status"
    return
  fi
  log "$name: $url (warm-up $WARMUP, then $DURATION)"
  timeout 120 wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$url" >/dev/null || true
  out=$(timeout 300 wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url" || true)
  printf '%s\n' "$out" >>"$tmp/wrk.txt"
  if ! kill -0 "$pid" 2>/dev/null; then
    log "$name: the server died during the run"
    BAD[$name]="died"
    notes+=("${name%% *} exited during '$name'; last lines of its log:" "$(tail -n 15 "$tmp/monotube.log" 2>/dev/null)")
    return
  fi
  RPS[$name]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
  P50[$name]=$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
  P99[$name]=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
  BAD[$name]=$(awk '/Non-2xx/ { n += $NF } /Socket errors/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' <<<"$out")
}

measure "monotube /healthz" "http://127.0.0.1:$monotube_port/healthz" "$monotube_pid"
measure "nginx /healthz" "http://127.0.0.1:$nginx_port/healthz" "$nginx_pid"
measure "monotube /$STATIC_FILE" "http://127.0.0.1:$monotube_port/$STATIC_FILE" "$monotube_pid"
measure "nginx /$STATIC_FILE" "http://127.0.0.1:$nginx_port/$STATIC_FILE" "$nginx_pid"

rss_after=$(ps -o rss= -p "$monotube_pid" | tr -d ' ' || true)
rss_peak=$(awk '/^VmHWM:/ { print $2 }' "/proc/$monotube_pid/status" 2>/dev/null || true)

ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'
}
kib_to_mib() { if [ -n "$1" ]; then awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; else echo "-"; fi; }

mkdir -p bench/results
result=bench/results/http-$(date +%Y%m%d-%H%M%S).txt
{
  echo "monotube HTTP benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (uncommitted changes)'), $("$bin" version 2>/dev/null | head -n1)"
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); $(nginx -v 2>&1); $(wrk -v 2>&1 | head -n1 | awk '{ print $1, $2 }')"
  echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency (after a $WARMUP warm-up), loopback, keep-alive"
  echo
  printf '%-34s %12s %10s %10s %8s\n' target "requests/s" "p50 ms" "p99 ms" errors
  for name in "monotube /healthz" "nginx /healthz" "monotube /$STATIC_FILE" "nginx /$STATIC_FILE"; do
    printf '%-34s %12s %10s %10s %8s\n' "$name" "${RPS[$name]}" "${P50[$name]}" "${P99[$name]}" "${BAD[$name]}"
  done
  echo
  echo "monotube/nginx   requests/s    p50     p99"
  printf '  %-14s %10s %7s %7s\n' /healthz \
    "$(ratio "${RPS[monotube /healthz]}" "${RPS[nginx /healthz]}")" \
    "$(ratio "${P50[monotube /healthz]}" "${P50[nginx /healthz]}")" \
    "$(ratio "${P99[monotube /healthz]}" "${P99[nginx /healthz]}")"
  printf '  %-14s %10s %7s %7s\n' "static file" \
    "$(ratio "${RPS[monotube /$STATIC_FILE]}" "${RPS[nginx /$STATIC_FILE]}")" \
    "$(ratio "${P50[monotube /$STATIC_FILE]}" "${P50[nginx /$STATIC_FILE]}")" \
    "$(ratio "${P99[monotube /$STATIC_FILE]}" "${P99[nginx /$STATIC_FILE]}")"
  echo "  (nginx /healthz is a constant 'return 200'; monotube's also runs its router and metrics)"
  echo
  echo "monotube memory (RSS): idle $(kib_to_mib "$rss_idle"), after the load $(kib_to_mib "$rss_after"), peak $(kib_to_mib "$rss_peak")"
  if [ "${#notes[@]}" -gt 0 ]; then
    echo
    printf '%s\n' "${notes[@]}"
  fi
  echo
  echo "raw wrk output:"
  cat "$tmp/wrk.txt" 2>/dev/null || true
} >"$result"
sed '/^raw wrk output:$/,$d' "$result"
log "results written to $result"
[ "${#notes[@]}" -eq 0 ] || die "a server died during the benchmark (see $result)"
