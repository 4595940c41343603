// Test videos made on the spot with FFmpeg (which the server needs anyway): big enough
// that an upload in chunks can be stopped half-way, and real, so the server ends them
// "ready" and keeps their original.
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';

// An MP4 (H.264 + AAC, 1280×720) of about `megabytes` MB, `seconds` long.
export async function makeVideoFile(file, { seconds = 8, megabytes = 17 } = {}) {
  const bitrate = `${Math.round((megabytes * 8) / seconds)}M`;
  const ffmpeg = process.env.MONOTUBE_FFMPEG ?? 'ffmpeg';
  const made = spawnSync(ffmpeg, [
    '-v', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-t', String(seconds),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', bitrate, '-minrate', bitrate, '-maxrate', bitrate,
    '-bufsize', bitrate, '-x264-params', 'nal-hrd=cbr', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-shortest', '-movflags', '+faststart', file,
  ], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`ffmpeg could not make ${file}: ${made.stderr || made.error?.message}`);
  return { file, data: await readFile(file) };
}
