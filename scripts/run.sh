#!/usr/bin/env bash
# The run command: installs what is missing, builds, and starts monotube with its
# defaults (SQLite + local files under ./data) on http://localhost:8080.
#   bash scripts/run.sh                        start on 0.0.0.0:8080
#   bash scripts/run.sh --listen 127.0.0.1:9000 --log-level debug   (extra args go to `serve`)
# MONOTUBE_* environment variables work as usual (see README.md, Configuration).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

case "${1:-}" in
  -h|--help) usage; exit 0 ;;
esac

phase_begin setup
bash scripts/setup.sh
phase_end
phase_begin build
bash scripts/build.sh --target monotube
phase_end
phase_summary

listen=${MONOTUBE_LISTEN:-0.0.0.0:8080}
args=("$@")
for i in "${!args[@]}"; do
  case "${args[$i]}" in
    --listen=*) listen=${args[$i]#--listen=} ;;
    --listen) listen=${args[$((i + 1))]:-$listen} ;;
  esac
done
log "starting monotube (listen $listen, data dir ${MONOTUBE_DATA_DIR:-./data}); open http://localhost:${listen##*:}/ - Ctrl-C stops it"
exec "${BUILD_DIR:-build}/monotube" serve "$@"
