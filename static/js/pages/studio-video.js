// /studio/videos/{video_id}: how one video does (GET /api/analytics/videos/{id}), for its
// owner and admins — range and granularity, the totals, views and watch time, unique
// viewers and average view duration over time, the retention curve (the share of views
// that got to each tenth of the video), and likes, dislikes and comments. Others get a
// page that says why they cannot see it.
import { h, replaceChildren } from '../dom.js';
import {
  fetchAnalytics, granularities, hourlyAllowed, rangeText, ranges, readQuery, writeQuery,
} from '../analytics.js';
import { loadingRegion, segmentedControl, statCards } from '../components/analytics-controls.js';
import { barChart, lineChart } from '../components/charts.js';
import { formatDate, formatDuration } from '../format.js';
import { navigate } from '../forms.js';
import { loadSession } from '../session.js';
import { loginUrl, studioUrl, watchUrl } from '../urls.js';

export const name = 'studio-video';
export const title = 'Video analytics';

function errorPage(main, { heading, text, testid }) {
  document.head.append(h('meta', { name: 'robots', content: 'noindex' }));
  replaceChildren(main,
    h('section', { class: 'error-page', 'aria-labelledby': 'error-title', dataset: { testid } },
      h('h1', { class: 'error-page__title', id: 'error-title', text: heading }),
      h('p', { class: 'error-page__text', text }),
      h('div', { class: 'error-page__actions' },
        h('a', { class: 'button button--primary', href: studioUrl, text: 'Go to your studio' }),
        h('a', { class: 'button button--outline', href: '/', text: 'Go to the home page' }))));
}

function showError(main, error) {
  if (error.status === 403) {
    document.title = 'Not allowed · monotube';
    errorPage(main, {
      testid: 'analytics-forbidden',
      heading: 'You can’t see this video’s analytics',
      text: 'Only the person who uploaded a video, and the site’s administrators, can see how it does.',
    });
  } else if (error.status === 404) {
    document.title = 'Video not found · monotube';
    errorPage(main, {
      testid: 'analytics-not-found',
      heading: 'This video isn’t here',
      text: 'The link may be wrong, or the video may have been deleted.',
    });
  } else {
    replaceChildren(main, h('div', { class: 'notice notice--error', role: 'alert' },
      h('p', { text: `This video’s analytics could not be loaded. ${error.message}` })));
  }
}

function renderSkeleton(main) {
  replaceChildren(main,
    h('div', { class: 'analytics', 'aria-hidden': 'true' },
      h('span', { class: 'skeleton-line analytics__skeleton-title' }),
      h('span', { class: 'skeleton-line skeleton-line--short' }),
      h('div', { class: 'skeleton-block analytics__skeleton-block' })));
}

export async function render(main, { video_id: videoId }) {
  const user = await loadSession();
  if (!user) {
    navigate(loginUrl(`${location.pathname}${location.search}`), { replace: true });
    return;
  }
  renderSkeleton(main);
  let { range, granularity } = readQuery();
  const path = `/api/analytics/videos/${encodeURIComponent(videoId)}`;
  let answer;
  try {
    answer = await fetchAnalytics(path, { range, granularity });
  } catch (error) {
    if (error.status === 401) {
      navigate(loginUrl(`${location.pathname}${location.search}`), { replace: true });
      return;
    }
    showError(main, error);
    return;
  }

  const video = answer.video ?? { id: videoId, title: videoId };
  document.title = `${video.title} · Analytics · monotube`;
  const period = h('p', { class: 'analytics__period', dataset: { testid: 'period' } });
  const cards = statCards([
    { key: 'views', label: 'Views', kind: 'count' },
    { key: 'unique_viewers', label: 'Unique viewers', kind: 'count' },
    { key: 'watch_time_ms', label: 'Watch time', kind: 'duration' },
    { key: 'average_view_duration_ms', label: 'Average view duration', kind: 'duration' },
    { key: 'likes', label: 'Likes', kind: 'count' },
    { key: 'dislikes', label: 'Dislikes', kind: 'count' },
    { key: 'comments', label: 'Comments', kind: 'count' },
  ], { label: 'Totals for the period' });
  const views = lineChart({
    title: 'Views and watch time', testid: 'chart-views',
    series: [
      { key: 'views', label: 'Views', kind: 'count' },
      { key: 'watch_time_ms', label: 'Watch time', kind: 'duration', axis: 'right' },
    ],
    emptyText: 'No views in this period yet.',
  });
  const viewers = lineChart({
    title: 'Unique viewers', testid: 'chart-viewers',
    series: [{ key: 'unique_viewers', label: 'Unique viewers', kind: 'count', summable: false }],
    emptyText: 'No viewers in this period yet.',
  });
  const average = lineChart({
    title: 'Average view duration', testid: 'chart-average',
    series: [{ key: 'average_view_duration_ms', label: 'Average view duration', kind: 'duration', summable: false, color: 2 }],
    emptyText: 'No views in this period yet.',
  });
  const retention = lineChart({
    title: 'Audience retention', testid: 'chart-retention', x: 'fraction', yMax: 1,
    series: [{ key: 'share', label: 'Still watching', kind: 'percent', summable: false }],
    emptyText: 'No views in this period yet.',
  });
  const engagement = barChart({
    title: 'Likes, dislikes and comments', testid: 'chart-engagement',
    series: [
      { key: 'likes', label: 'Likes', kind: 'count', color: 'up' },
      { key: 'comments', label: 'Comments', kind: 'count', color: 2 },
      { key: 'dislikes', label: 'Dislikes (below)', kind: 'count', direction: 'down', color: 'down' },
    ],
    emptyText: 'No likes, dislikes or comments in this period.',
  });
  const retentionNote = h('p', { class: 'analytics__note', text: 'The share of this period’s views that reached each tenth of the video.' });

  const show = (data) => {
    const rows = data.series ?? [];
    const bucket = data.range?.granularity ?? 'day';
    period.textContent = rangeText(data.range);
    cards.update(data.totals ?? {});
    views.update({ rows, granularity: bucket });
    viewers.update({ rows, granularity: bucket });
    average.update({ rows, granularity: bucket });
    // No views: the curve is all zeros and says nothing; the chart says so instead.
    retention.update({ rows: Number(data.totals?.views) > 0 ? data.retention ?? [] : [], granularity: bucket });
    engagement.update({ rows, granularity: bucket });
    granularityPicker.set(bucket);
    main.dataset.loaded = `${range}/${bucket}`;
  };

  let generation = 0;
  const load = async () => {
    const mine = ++generation;
    region.busy();
    try {
      const data = await fetchAnalytics(path, { range, granularity });
      if (mine !== generation) return;
      show(data);
      region.done();
    } catch (error) {
      if (mine !== generation) return;
      if (error.status === 403 || error.status === 404) showError(main, error);
      else region.fail(`The figures could not be loaded. ${error.message}`);
    }
  };
  const rangePicker = segmentedControl({
    label: 'Period', options: ranges, value: range, testid: 'range-picker',
    onChange: (next) => {
      range = next;
      if (granularity === 'hour' && !hourlyAllowed(range)) granularity = null;
      granularityPicker.enable('hour', hourlyAllowed(range));
      writeQuery({ range, granularity });
      load();
    },
  });
  const granularityPicker = segmentedControl({
    label: 'Buckets', options: granularities, value: answer.range?.granularity ?? 'day', testid: 'granularity-picker',
    onChange: (next) => {
      granularity = next;
      writeQuery({ range, granularity });
      load();
    },
  });
  granularityPicker.enable('hour', hourlyAllowed(range));

  const facts = [
    video.published_at ? `Published ${formatDate(new Date(video.published_at).toISOString())}` : null,
    Number(video.duration_ms) > 0 ? `${formatDuration(video.duration_ms / 1000)} long` : null,
  ].filter(Boolean).join(' · ');
  const region = loadingRegion(h('div', { class: 'analytics__body' },
    cards.element,
    h('div', { class: 'analytics__charts' },
      h('div', { class: 'analytics__chart analytics__chart--wide' }, views.element),
      h('div', { class: 'analytics__chart' }, retention.element, retentionNote),
      h('div', { class: 'analytics__chart' }, viewers.element),
      h('div', { class: 'analytics__chart' }, average.element),
      h('div', { class: 'analytics__chart' }, engagement.element))), { onRetry: () => load() });

  replaceChildren(main,
    h('section', { class: 'analytics', 'aria-labelledby': 'analytics-title' },
      h('nav', { class: 'analytics__breadcrumb', 'aria-label': 'Breadcrumb' },
        h('a', { href: studioUrl, text: 'Studio' }), h('span', { 'aria-hidden': 'true', text: ' › ' }), h('span', { text: 'Video analytics' })),
      h('header', { class: 'page-header' },
        h('div', { class: 'page-header__text' },
          h('h1', { class: 'page-header__title analytics__video-title', id: 'analytics-title', dataset: { testid: 'video-title' }, text: video.title }),
          facts ? h('p', { class: 'page-header__intro', text: facts }) : null),
        h('div', { class: 'page-header__actions' },
          h('a', { class: 'button button--primary', href: watchUrl(video.id), text: 'Watch' }))),
      h('div', { class: 'analytics__toolbar' }, rangePicker.element, granularityPicker.element, period),
      region.element));
  show(answer);
  region.done();
}
