// The site's figures for admins (GET /api/analytics/site): a range to pick, the totals
// (sign-ups, uploads, views, watch time) and their charts, drawn into any container —
// the admin dashboard mounts it; /admin/analytics shows it on its own.
//
//   const { ready, load } = mountSiteAnalytics(container);  // ready: the first load; load(): again
import { h, replaceChildren } from '../dom.js';
import { fetchAnalytics, rangeText, ranges, readQuery, writeQuery } from '../analytics.js';
import { loadingRegion, segmentedControl, statCards } from './analytics-controls.js';
import { lineChart } from './charts.js';

// keepInUrl: whether the range goes into the page's address (?range=); a dashboard with
// other state of its own may say no. headingLevel: 1 when it is the page's own title.
export function mountSiteAnalytics(container, { keepInUrl = true, headingLevel = 2 } = {}) {
  let { range } = keepInUrl ? readQuery() : { range: '28d' };
  const heading = `h${Math.min(6, Math.max(1, headingLevel))}`;
  const period = h('p', { class: 'analytics__period', dataset: { testid: 'period' } });
  const cards = statCards([
    { key: 'signups', label: 'Sign-ups', kind: 'count' },
    { key: 'uploads', label: 'Uploads', kind: 'count' },
    { key: 'views', label: 'Views', kind: 'count' },
    { key: 'watch_time_ms', label: 'Watch time', kind: 'duration' },
  ], { label: 'Site totals for the period' });
  const views = lineChart({
    title: 'Views and watch time', testid: 'chart-site-views',
    series: [
      { key: 'views', label: 'Views', kind: 'count' },
      { key: 'watch_time_ms', label: 'Watch time', kind: 'duration', axis: 'right' },
    ],
    emptyText: 'Nothing was watched in this period.',
  });
  const growth = lineChart({
    title: 'Sign-ups and uploads', testid: 'chart-site-growth',
    series: [
      { key: 'signups', label: 'Sign-ups', kind: 'count', color: 3 },
      { key: 'uploads', label: 'Uploads', kind: 'count', color: 2 },
    ],
    emptyText: 'No sign-ups or uploads in this period.',
  });

  let generation = 0;
  const load = async () => {
    const mine = ++generation;
    region.busy();
    try {
      const answer = await fetchAnalytics('/api/analytics/site', { range });
      if (mine !== generation) return;
      const granularity = answer.range?.granularity ?? 'day';
      period.textContent = rangeText(answer.range);
      cards.update(answer.totals ?? {});
      views.update({ rows: answer.series, granularity });
      growth.update({ rows: answer.series, granularity });
      region.done();
      element.dataset.loaded = range;
    } catch (error) {
      if (mine !== generation) return;
      region.fail(error.status === 403
        ? 'Only administrators can see the site’s figures.'
        : `The site’s figures could not be loaded. ${error.message}`);
    }
  };
  const picker = segmentedControl({
    label: 'Period', options: ranges, value: range, testid: 'site-range-picker',
    onChange: (next) => {
      range = next;
      if (keepInUrl) writeQuery({ range });
      load();
    },
  });
  const region = loadingRegion(h('div', { class: 'analytics__body' },
    cards.element,
    h('div', { class: 'analytics__charts' },
      h('div', { class: 'analytics__chart analytics__chart--wide' }, views.element),
      h('div', { class: 'analytics__chart analytics__chart--wide' }, growth.element))), { onRetry: () => load() });
  const element = h('section', { class: 'site-analytics', 'aria-labelledby': 'site-analytics-title', dataset: { testid: 'site-analytics' } },
    h(heading, { class: headingLevel === 1 ? 'page-header__title analytics__page-title' : 'analytics__heading', id: 'site-analytics-title', text: 'Site analytics' }),
    h('div', { class: 'analytics__toolbar' }, picker.element, period),
    region.element);
  replaceChildren(container, element);
  const ready = load();
  return { element, load, ready };
}
