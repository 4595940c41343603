#!/usr/bin/env bash
# Transcoding benchmark: monotube's one-run pipeline against plain FFmpeg.
#
#   bash bench/transcode/run.sh              a generated 60 s 1080p30 clip (made once, cached)
#   bash bench/transcode/run.sh INPUT        any video file
#   RUNS=5 PRESET=veryfast bash bench/transcode/run.sh
#
# For the same input on this machine it times RUNS interleaved rounds (hyperfine when
# installed, else bash's `time`), wall clock and CPU time, of:
#   ours      build/monotube dev transcode INPUT OUT: probe, one ffmpeg run for the whole
#             ladder + poster + sprites, master playlist and WebVTT written afterwards;
#   plain     the same ffmpeg command without the poster and sprite branches (printed by
#             `monotube dev transcode --print-ffmpeg --no-images`, so the encoder settings
#             are identical), i.e. one plain ffmpeg producing the same ladder;
#   per-rung  one such ffmpeg run per rendition, one after the other (each decodes the
#             source again).
# Then, in one extra run of ours, the time until the first segment of every rendition is
# listed in its playlist ("first segments") against the total.
# Prints ours/plain and ours/per-rung and writes everything to
# bench/results/transcode-<date>.md. Compare ratios: other work on the machine moves the
# absolute numbers.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh

RUNS=${RUNS:-3}
PRESET=${PRESET:-veryfast}
CACHE_DIR=${CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/monotube-bench}

install_packages ffmpeg
if ! command -v hyperfine >/dev/null 2>&1; then
  install_packages hyperfine || log "hyperfine is not installed; timing with a loop instead"
fi
bash scripts/build.sh --target monotube
bin=$(pwd)/${BUILD_DIR:-build}/monotube

input=${1:-}
if [ -z "$input" ]; then
  input=$CACHE_DIR/testsrc2-1080p30-60s.mp4
  if [ ! -s "$input" ]; then
    mkdir -p "$CACHE_DIR"
    log "generating $input (once): testsrc2 1920x1080 30 fps + 440 Hz sine, 60 s"
    timeout 900 ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=s=1920x1080:r=30:d=60 \
      -f lavfi -i sine=f=440:d=60 -c:v libx264 -preset veryfast -crf 18 -pix_fmt yuv420p \
      -c:a aac -b:a 128k -shortest -f mp4 "$input.part"
    mv "$input.part" "$input"
  fi
fi
[ -f "$input" ] || die "no such file: $input"
input=$(realpath "$input")

tmp=$(mktemp -d /tmp/monotube-bench-transcode.XXXXXX)
poller_pid=
cleanup() {
  if [ -n "$poller_pid" ]; then kill "$poller_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
out=$tmp/out

# The ladder, and the plain commands for it, exactly as monotube would run them.
"$bin" dev transcode --preset "$PRESET" "$input" "$out" --print-ffmpeg --no-images >"$tmp/plain.args"
renditions=$(grep -o "$out/[^/]*/index.m3u8" "$tmp/plain.args" | sed "s#^$out/##; s#/index.m3u8##" | tr "\n" " ")
[ -n "$renditions" ] || die "monotube planned no renditions for $input"
for name in $renditions; do
  "$bin" dev transcode --preset "$PRESET" "$input" "$out" --print-ffmpeg --no-images --rendition "$name" \
    >"$tmp/rung-$name.args"
done

# Each command runs from a script so that hyperfine and the loop time the same thing.
cat >"$tmp/prepare.sh" <<SCRIPT
rm -rf "$out" && mkdir -p "$out" && for name in $renditions; do mkdir -p "$out/\$name"; done
SCRIPT
cat >"$tmp/ours.sh" <<SCRIPT
rm -rf "$out" && exec "$bin" dev transcode --preset "$PRESET" "$input" "$out" >/dev/null
SCRIPT
cat >"$tmp/plain.sh" <<SCRIPT
set -e
mapfile -t cmd <"$tmp/plain.args"
"\${cmd[@]}" >/dev/null
SCRIPT
{
  echo "set -e"
  for name in $renditions; do
    echo "mapfile -t cmd <\"$tmp/rung-$name.args\""
    echo "\"\${cmd[@]}\" >/dev/null"
  done
} >"$tmp/per-rung.sh"

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
names=(ours plain per-rung)
# Rounds of one run each, interleaved (ours, plain, per-rung, ours, …): the machine is
# shared, and load that comes and goes then hits all three alike. CPU time (user + sys of
# the whole process tree) is reported beside wall time because it hardly moves with
# other load.
declare -A WALL CPU
if command -v hyperfine >/dev/null 2>&1; then
  timer="hyperfine $(hyperfine --version | awk '{ print $2 }'), $RUNS interleaved rounds of one run each"
else
  timer="bash's time, $RUNS interleaved rounds of one run each"
fi
for ((run = 1; run <= RUNS; run++)); do
  log "round $run/$RUNS: ${names[*]}"
  if command -v hyperfine >/dev/null 2>&1; then
    timeout 7200 hyperfine --runs 1 --style basic --prepare "bash $tmp/prepare.sh" \
      --export-json "$tmp/round.json" -n ours "bash $tmp/ours.sh" -n plain "bash $tmp/plain.sh" \
      -n per-rung "bash $tmp/per-rung.sh" >&2
    while read -r name wall cpu; do
      WALL[$name]+="$wall "
      CPU[$name]+="$cpu "
    done < <(python3 -c '
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(r["command"], "%.3f" % r["times"][0], "%.3f" % (r["user"] + r["system"]))' "$tmp/round.json")
  else
    for name in "${names[@]}"; do
      bash "$tmp/prepare.sh"
      TIMEFORMAT='%R %U %S'
      { time timeout 3600 bash "$tmp/$name.sh" 2>/dev/null; } 2>"$tmp/time.txt"
      read -r wall user sys <"$tmp/time.txt"
      WALL[$name]+="$wall "
      CPU[$name]+="$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.3f", u + s }') "
    done
  fi
done
# "mean stddev min max" of the numbers in $1.
stats() {
  tr ' ' '\n' <<<"$1" | awk 'NF { n++; s += $1; q += $1 * $1; if (n == 1 || $1 < lo) lo = $1; if ($1 > hi) hi = $1 }
    END { m = s / n; v = q / n - m * m; printf "%.2f %.2f %.2f %.2f\n", m, (v > 0 ? sqrt(v) : 0), lo, hi }'
}
declare -A MEAN STDDEV MIN MAX CPU_MEAN
for name in "${names[@]}"; do
  read -r MEAN[$name] STDDEV[$name] MIN[$name] MAX[$name] < <(stats "${WALL[$name]}")
  read -r CPU_MEAN[$name] _ < <(stats "${CPU[$name]}")
done

# First segments: one more run of ours, watching for the first segment file of every
# rendition to get its data (the hls muxer writes a segment's fragment when the segment
# ends; VOD playlists themselves are only written at the very end).
log "one more run of ours, watching for the first segment of every rendition"
rm -rf "$out"
start=$(date +%s.%N)
(
  while :; do
    all=1
    for name in $renditions; do
      [ -s "$out/$name/seg-00001.m4s" ] || { all=0; break; }
    done
    if [ "$all" = 1 ]; then
      awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f\n", b - a }' >"$tmp/first.txt"
      exit 0
    fi
    sleep 0.05
  done
) &
poller_pid=$!
timeout 3600 "$bin" dev transcode --preset "$PRESET" "$input" "$out" >"$tmp/ours-summary.txt"
total=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
kill "$poller_pid" 2>/dev/null || true
wait "$poller_pid" 2>/dev/null || true
poller_pid=
first=$(cat "$tmp/first.txt" 2>/dev/null || echo "-")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'; }
probe=$(ffprobe -v error -show_entries stream=codec_name,width,height,avg_frame_rate:format=duration,size \
  -of compact=p=0:nk=1 "$input" | tr '\n' ' ')
mkdir -p bench/results
result=bench/results/transcode-$(date +%Y%m%d-%H%M%S).md
{
  echo "# monotube transcoding benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo
  echo "- commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (uncommitted changes)')"
  echo "- machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(ffmpeg -version | head -n1 | awk '{ print $1, $2, $3 }')"
  echo "- input: $input ($probe)"
  echo "- ladder: $(echo $renditions), libx264 preset $PRESET; timed with $timer"
  echo
  echo "- load average before and after: $load_before / $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| what | wall mean s | stddev | min | max | CPU (user+sys) mean s |"
  echo "|---|---|---|---|---|---|"
  for name in "${names[@]}"; do
    echo "| $name | ${MEAN[$name]} | ${STDDEV[$name]} | ${MIN[$name]} | ${MAX[$name]} | ${CPU_MEAN[$name]} |"
  done
  echo
  echo "| ratio | wall | CPU | target |"
  echo "|---|---|---|---|"
  echo "| ours / plain (one ffmpeg, same ladder, no poster or sprites) | **$(ratio "${MEAN[ours]}" "${MEAN[plain]}")** | $(ratio "${CPU_MEAN[ours]}" "${CPU_MEAN[plain]}") | ≤ 1.10 |"
  echo "| ours / per-rung (one ffmpeg per rendition) | **$(ratio "${MEAN[ours]}" "${MEAN[per-rung]}")** | $(ratio "${CPU_MEAN[ours]}" "${CPU_MEAN[per-rung]}") | < 1 |"
  echo
  echo "- first segment of every rendition written after $first s of a $total s run of ours"
  echo
  echo "ours, last run:"
  echo
  sed 's/^/    /' "$tmp/ours-summary.txt"
  echo
  echo "plain command:"
  echo
  echo "    $(tr '\n' ' ' <"$tmp/plain.args" | sed "s#$tmp#\$TMP#g")"
} >"$result"
cat "$result"
log "results written to $result"
