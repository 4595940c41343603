# shellcheck shell=bash
# Small helpers shared by the scripts in scripts/ and bench/. Source it after
# `cd` to the repository root:  . scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/deps.sh"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Milliseconds since the epoch.
now_ms() { date +%s%3N; }

# Formats a duration given in milliseconds as seconds with one decimal.
fmt_ms() { awk -v ms="$1" 'BEGIN { printf "%.1f s", ms / 1000 }'; }

# Phase timing: `phase_begin NAME` ... `phase_end`; `phase_summary` prints them all.
PHASE_NAMES=()
PHASE_TIMES=()
_PHASE_NAME=
phase_begin() { _PHASE_NAME=$1; _PHASE_START=$(now_ms); log "$1"; }
phase_end() {
  local took=$(( $(now_ms) - _PHASE_START ))
  PHASE_NAMES+=("$_PHASE_NAME")
  PHASE_TIMES+=("$took")
  log "$_PHASE_NAME: done in $(fmt_ms "$took")"
  _PHASE_NAME=
}
# Also lists a phase that was still running (i.e. failed or was interrupted).
phase_summary() {
  local i
  if [ -n "$_PHASE_NAME" ]; then
    PHASE_NAMES+=("$_PHASE_NAME (did not finish)")
    PHASE_TIMES+=("$(( $(now_ms) - _PHASE_START ))")
    _PHASE_NAME=
  fi
  [ "${#PHASE_NAMES[@]}" -gt 0 ] || return 0
  printf '\ntimings:\n' >&2
  for i in "${!PHASE_NAMES[@]}"; do
    printf '  %-28s %10s\n' "${PHASE_NAMES[$i]}" "$(fmt_ms "${PHASE_TIMES[$i]}")" >&2
  done
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Prints a free loopback TCP port, asking the kernel for one.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Prints the comment block at the top of the running script (its usage text).
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
