// Seek-bar preview thumbnails: a WebVTT file whose cues name tiles of sprite images,
//   00:00:05.000 --> 00:00:10.000
//   previews-1.jpg#xywh=160,0,160,90
// Tile URLs are relative to the VTT's URL and need its query string (the signature of
// a non-public video's media URLs).

function parseTimestamp(text) {
  const match = /^(?:(\d+):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?$/.exec(text.trim());
  if (!match) return null;
  const [, hours = '0', minutes, seconds, fraction = '0'] = match;
  return Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds) + Number(fraction.padEnd(3, '0')) / 1000;
}

// VTT text -> [{start, end, url, x, y, width, height}], URLs made absolute.
export function parsePreviewVtt(text, vttUrl) {
  const base = new URL(vttUrl, location.href);
  const cues = [];
  const blocks = String(text).replace(/\r\n?/g, '\n').split(/\n{2,}/);
  for (const block of blocks) {
    const lines = block.split('\n').map((line) => line.trim()).filter(Boolean);
    const timing = lines.findIndex((line) => line.includes('-->'));
    if (timing < 0 || !lines[timing + 1]) continue;
    const [from, to] = lines[timing].split('-->').map((part) => part.trim().split(/\s+/)[0]);
    const start = parseTimestamp(from);
    const end = parseTimestamp(to);
    if (start === null || end === null) continue;
    const payload = lines[timing + 1];
    const hash = payload.indexOf('#');
    const file = hash < 0 ? payload : payload.slice(0, hash);
    const xywh = /xywh=(\d+),(\d+),(\d+),(\d+)/.exec(hash < 0 ? '' : payload.slice(hash));
    let url;
    try {
      url = new URL(file, base);
    } catch {
      continue;
    }
    if (url.origin !== base.origin) continue; // the CSP would block it anyway
    if (!url.search && base.search) url.search = base.search;
    cues.push({
      start,
      end,
      url: url.href,
      x: xywh ? Number(xywh[1]) : 0,
      y: xywh ? Number(xywh[2]) : 0,
      width: xywh ? Number(xywh[3]) : 0,
      height: xywh ? Number(xywh[4]) : 0,
    });
  }
  cues.sort((a, b) => a.start - b.start);
  return cues;
}

export function findCue(cues, time) {
  let low = 0;
  let high = cues.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (cues[mid].end <= time) low = mid + 1;
    else if (cues[mid].start > time) high = mid - 1;
    else return cues[mid];
  }
  return cues[Math.min(Math.max(low, 0), cues.length - 1)] ?? null;
}

export async function loadPreviews(vttUrl, { signal } = {}) {
  const response = await fetch(vttUrl, { credentials: 'same-origin', signal });
  if (!response.ok) throw new Error(`preview thumbnails: HTTP ${response.status}`);
  return parsePreviewVtt(await response.text(), response.url || vttUrl);
}
