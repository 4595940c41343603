#!/usr/bin/env bash
# kill -9 in the middle of a transcode: FFmpeg dies with the server, the job is taken
# over after a restart, the video becomes ready and playable, and nothing of the
# interrupted run is left (no second output folder, no scratch files).
# Usage: transcode_crash_test.sh path/to/monotube
set -uo pipefail
BIN=$(realpath "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/monotube-crash-test.XXXXXX)
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null
  pkill -9 -f "$WORK/" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
unset MONOTUBE_TEST_DB MONOTUBE_TEST_PG_URL
fail() { echo "FAIL - $1"; [ $# -gt 1 ] && echo "$2" | sed 's/^/    /'; exit 1; }
pass() { echo "ok - $1"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
start_server() {
  env MONOTUBE_LISTEN=127.0.0.1:$PORT MONOTUBE_DATA_DIR="$WORK/data" MONOTUBE_STATIC_DIR="$ROOT/static" \
    MONOTUBE_JOB_LEASE_SECONDS=5 MONOTUBE_TRANSCODE_WORKERS=1 MONOTUBE_LOG_LEVEL=info "$BIN" serve >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 200); do curl -fs -o /dev/null "$BASE/healthz" && return 0; sleep 0.1; done
  fail "server did not start" "$(tail -20 "$WORK/server.log")"
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {'d': d}))" "$1"; }

# 20 s of 720p: long enough to be caught in the middle, short enough for CI.
ffmpeg -v error -nostdin -f lavfi -i testsrc2=size=1280x720:rate=30:duration=20 -f lavfi -i sine=duration=20 \
  -c:v libx264 -preset ultrafast -c:a aac -shortest "$WORK/clip.mp4" || fail "could not make the test clip"

start_server
TOKEN=$(curl -fs -H 'Content-Type: application/json' \
  -d '{"username":"crashtest","email":"crash@example.com","password":"tall ladder 42 orange"}' \
  "$BASE/api/auth/signup" | json "d['token']") || fail "sign-up"
ID=$(curl -fs -H "Authorization: Bearer $TOKEN" -F title=Crash -F "file=@$WORK/clip.mp4" "$BASE/api/videos" |
  json "d['video']['id']") || fail "upload"
VIDEO="$WORK/data/objects/videos/$ID"

progress=0
for _ in $(seq 1 600); do
  progress=$(curl -fs -H "Authorization: Bearer $TOKEN" "$BASE/api/videos/$ID" | json "d['video']['progress']")
  [ "$progress" -ge 5 ] && break
  sleep 0.1
done
[ "$progress" -ge 5 ] || fail "the transcode did not start"
pgrep -f "$VIDEO/original" >/dev/null || fail "no FFmpeg is reading the original"
kill -9 "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""
pass "server killed with SIGKILL at ${progress}%"
sleep 1
pgrep -f "$VIDEO/original" >/dev/null && fail "FFmpeg outlived the server" "$(pgrep -af "$VIDEO/original")"
pass "FFmpeg died with the server"

start_server
status=""
for _ in $(seq 1 1800); do
  status=$(curl -fs -H "Authorization: Bearer $TOKEN" "$BASE/api/videos/$ID" | json "d['video']['status']")
  [ "$status" = ready ] || [ "$status" = failed ] && break
  sleep 0.1
done
[ "$status" = ready ] || fail "the video did not become ready after the restart (status $status)" "$(tail -30 "$WORK/server.log")"
pass "the job ran again after the restart and the video is ready"

folders=$(cd "$VIDEO" && ls | sort | tr '\n' ' ')
[[ "$folders" =~ ^original\ r-[A-Za-z0-9_-]+\ $ ]] || fail "stored objects are not exactly the original and one output folder" "$folders"
pass "no orphaned objects: $folders"
left=$(find "$WORK/data/tmp/transcode" -mindepth 1 2>/dev/null | head -5)
[ -z "$left" ] || fail "scratch files were left behind" "$left"
pass "no scratch files left"
out=$(ffprobe -v error -show_entries stream=height -of csv=p=0 "$BASE/media/$ID/master.m3u8" 2>&1 | grep -v "^$" | sort -un | tr '\n' ' ')
[ "$out" = "240 360 480 720 " ] || fail "ffprobe does not see the whole ladder" "$out"
pass "ffprobe reads every rendition: $out"
