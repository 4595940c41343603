// What the analytics pages share: the ranges and granularities the API takes
// (GET /api/analytics/…?range=&granularity=), reading and keeping them in the page's URL,
// and the words for a range.
import { api } from './api.js';
import { formatCount } from './format.js';

export const ranges = [
  { value: '24h', label: '24 hours', short: '24h', days: 1 },
  { value: '7d', label: '7 days', short: '7d', days: 7 },
  { value: '28d', label: '28 days', short: '28d', days: 28 },
  { value: '90d', label: '90 days', short: '90d', days: 90 },
  { value: '365d', label: '365 days', short: '365d', days: 365 },
];
export const defaultRange = '28d';

export const granularities = [
  { value: 'hour', label: 'Hourly' },
  { value: 'day', label: 'Daily' },
];

// The API refuses hourly buckets over more than 31 days.
export const hourlyAllowed = (range) => (ranges.find((r) => r.value === range)?.days ?? 0) <= 31;

// {range, granularity} from the page's URL, anything unknown dropped.
export function readQuery(search = location.search) {
  const params = new URLSearchParams(search);
  const range = ranges.some((r) => r.value === params.get('range')) ? params.get('range') : defaultRange;
  let granularity = granularities.some((g) => g.value === params.get('granularity')) ? params.get('granularity') : null;
  if (granularity === 'hour' && !hourlyAllowed(range)) granularity = null;
  return { range, granularity };
}

// Keeps the choice in the address (reload and share keep it), without a new history entry
// for every click.
export function writeQuery({ range, granularity }) {
  const params = new URLSearchParams(location.search);
  if (range && range !== defaultRange) params.set('range', range);
  else params.delete('range');
  if (granularity) params.set('granularity', granularity);
  else params.delete('granularity');
  const query = params.toString();
  history.replaceState(history.state, '', `${location.pathname}${query ? `?${query}` : ''}${location.hash}`);
}

export function analyticsPath(path, { range, granularity, ...extra } = {}) {
  const params = new URLSearchParams({ ...extra });
  if (range) params.set('range', range);
  if (granularity) params.set('granularity', granularity);
  const query = params.toString();
  return query ? `${path}?${query}` : path;
}

export function fetchAnalytics(path, options) {
  return api(analyticsPath(path, options));
}

const dayText = new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', month: 'short', day: 'numeric', year: 'numeric' });
const hourText = new Intl.DateTimeFormat(undefined, {
  timeZone: 'UTC', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});

// The answer's {from, to (exclusive), granularity} -> "Oct 27 – Nov 23, 2026 (UTC)"
export function rangeText(range) {
  if (!range || !Number.isFinite(range.from) || !Number.isFinite(range.to)) return '';
  if (range.granularity === 'hour') return `${hourText.format(range.from)} – ${hourText.format(range.to)} UTC`;
  return `${dayText.formatRange ? dayText.formatRange(range.from, range.to - 1) : `${dayText.format(range.from)} – ${dayText.format(range.to - 1)}`} (UTC)`;
}

// Trending (GET /api/analytics/trending?window=): the windows, and the words under a card.
export const trendingWindows = [
  { value: '1h', label: 'Last hour', recent: 'in the last hour' },
  { value: '24h', label: 'Last 24 hours', recent: 'in the last 24 hours' },
  { value: '7d', label: 'Last 7 days', recent: 'in the last 7 days' },
];

// "40 views in the last hour" under each card.
export const recentViewsNote = (period) => (video) => {
  const count = Number(video.recent_views) || 0;
  const words = trendingWindows.find((w) => w.value === period)?.recent ?? '';
  return `${formatCount(count)} ${count === 1 ? 'view' : 'views'} ${words}`.trim();
};
