// How numbers, durations and dates read in the UI.

const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

// 1234 -> "1.2K"
export function formatCount(value) {
  return compact.format(Number(value) || 0);
}

// 1234 -> "1.2K views", 1 -> "1 view"
export function formatViews(value) {
  const count = Number(value) || 0;
  return `${formatCount(count)} ${count === 1 ? 'view' : 'views'}`;
}

// 65 -> "1:05", 3723 -> "1:02:03"
export function formatDuration(totalSeconds) {
  const seconds = Math.max(0, Math.round(Number(totalSeconds) || 0));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

const steps = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];

// An ISO-8601 timestamp -> "3 days ago"
export function timeAgo(iso, now = Date.now()) {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '';
  const seconds = Math.round((then - now) / 1000);
  for (const [unit, size] of steps) {
    if (Math.abs(seconds) >= size) return relative.format(Math.trunc(seconds / size), unit);
  }
  return relative.format(0, 'second');
}

const longDate = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

// An ISO-8601 timestamp -> "Nov 23, 2026" (in the reader's locale)
export function formatDate(iso) {
  const then = Date.parse(iso);
  return Number.isNaN(then) ? '' : longDate.format(then);
}

// An ISO-8601 timestamp -> "Nov 23, 2026, 9:19 AM"
export function formatDateTime(iso) {
  const then = Date.parse(iso);
  return Number.isNaN(then) ? '' : dateTime.format(then);
}

// 1 -> "1 subscriber", 1234 -> "1.2K subscribers"
export function formatSubscribers(value) {
  const count = Number(value) || 0;
  return `${formatCount(count)} ${count === 1 ? 'subscriber' : 'subscribers'}`;
}

const byteUnits = ['bytes', 'KB', 'MB', 'GB', 'TB'];

// 1536 -> "1.5 KB", 5_000_000 -> "4.8 MB" (binary steps, short decimal units as people know them)
export function formatBytes(value) {
  let size = Math.max(0, Number(value) || 0);
  let unit = 0;
  while (size >= 1024 && unit < byteUnits.length - 1) {
    size /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${Math.round(size)} ${size === 1 ? 'byte' : 'bytes'}`;
  return `${size.toLocaleString(undefined, { maximumFractionDigits: size < 10 ? 1 : 0 })} ${byteUnits[unit]}`;
}

// Watch time in milliseconds -> "45s", "12m 30s", "3h 20m", "1,234h", "12K h" (whole seconds; the
// largest two units that matter, so a total stays short on a card or an axis).
export function formatWatchTime(ms) {
  const seconds = Math.max(0, Math.round((Number(ms) || 0) / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 ? `${minutes}m ${seconds % 60}s` : `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 100) return minutes % 60 ? `${hours}h ${minutes % 60}m` : `${hours}h`;
  return hours < 10_000 ? `${hours.toLocaleString()}h` : `${formatCount(hours)} h`;
}

// A share between 0 and 1 -> "42 %"
export function formatPercent(share) {
  return `${Math.round((Number(share) || 0) * 100)} %`;
}

// A signed change -> "+3", "−2", "0"
export function formatChange(value) {
  const count = Number(value) || 0;
  if (count > 0) return `+${formatCount(count)}`;
  if (count < 0) return `−${formatCount(-count)}`;
  return '0';
}
