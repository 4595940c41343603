// /studio: how the signed-in person's channel does (GET /api/analytics/channel) — a
// range to pick, the period's totals, views and watch time over time, subscribers gained
// and lost, and the videos watched most, each leading to its own analytics page.
import { h, replaceChildren } from '../dom.js';
import { fetchAnalytics, rangeText, ranges, readQuery, writeQuery } from '../analytics.js';
import { loadingRegion, segmentedControl, statCards } from '../components/analytics-controls.js';
import { barChart, lineChart } from '../components/charts.js';
import { formatCount, formatWatchTime } from '../format.js';
import { navigate } from '../forms.js';
import { loadSession } from '../session.js';
import { loginUrl, myVideosUrl, studioVideoUrl, uploadUrl, watchUrl } from '../urls.js';
import { canUpload } from '../videos.js';

export const name = 'studio';
export const title = 'Studio';

const plural = (count, one, many) => `${formatCount(count)} ${Number(count) === 1 ? one : many}`;

function topVideosTable() {
  const body = h('tbody');
  const table = h('table', { class: 'analytics-table', 'aria-labelledby': 'top-videos-title', dataset: { testid: 'top-videos' } },
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', class: 'analytics-table__rank', text: '#' }),
      h('th', { scope: 'col', text: 'Video' }),
      h('th', { scope: 'col', class: 'analytics-table__number', text: 'Views' }),
      h('th', { scope: 'col', class: 'analytics-table__number', text: 'Watch time' }))),
    body);
  const empty = h('p', { class: 'analytics__empty', text: 'None of your videos was watched in this period.', hidden: true });
  const element = h('section', { class: 'analytics__section', 'aria-labelledby': 'top-videos-title' },
    h('h2', { class: 'analytics__heading', id: 'top-videos-title', text: 'Top videos' }),
    h('div', { class: 'analytics-table__scroll' }, table),
    empty);
  return {
    element,
    update(items) {
      const list = Array.isArray(items) ? items : [];
      replaceChildren(body, list.map((item, i) => {
        const video = item.video ?? {};
        return h('tr', { dataset: { testid: 'top-video', videoId: video.id } },
          h('td', { class: 'analytics-table__rank', text: String(i + 1) }),
          h('td', {},
            h('div', { class: 'top-video' },
              h('span', { class: 'top-video__thumb' },
                video.thumbnail_url ? h('img', { src: video.thumbnail_url, alt: '', loading: 'lazy', decoding: 'async', width: 96, height: 54 }) : null),
              h('span', { class: 'top-video__text' },
                h('a', { class: 'top-video__title', href: studioVideoUrl(video.id), text: video.title ?? video.id,
                  'aria-label': `Analytics of “${video.title ?? video.id}”` }),
                h('a', { class: 'top-video__watch', href: watchUrl(video.id), text: 'Watch', 'aria-label': `Watch “${video.title ?? video.id}”` })))),
          h('td', { class: 'analytics-table__number', dataset: { value: String(item.views ?? 0) }, text: formatCount(item.views) }),
          h('td', { class: 'analytics-table__number', dataset: { value: String(item.watch_time_ms ?? 0) }, text: formatWatchTime(item.watch_time_ms) }));
      }));
      table.hidden = list.length === 0;
      empty.hidden = list.length > 0;
    },
  };
}

export async function render(main) {
  const user = await loadSession();
  if (!user) {
    navigate(loginUrl(`${location.pathname}${location.search}`), { replace: true });
    return;
  }

  let { range } = readQuery();
  const period = h('p', { class: 'analytics__period', dataset: { testid: 'period' } });
  const cards = statCards([
    { key: 'views', label: 'Views', kind: 'count' },
    { key: 'watch_time_ms', label: 'Watch time', kind: 'duration' },
    { key: 'average_view_duration_ms', label: 'Average view duration', kind: 'duration' },
    {
      key: 'subscribers', label: 'Subscribers', kind: 'count',
      detail: (t) => `+${formatCount(t?.subscribers_gained)} gained · −${formatCount(t?.subscribers_lost)} lost`,
    },
    { key: 'likes', label: 'Likes', kind: 'count', detail: (t) => plural(t?.dislikes, 'dislike', 'dislikes') },
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
  const subscribers = barChart({
    title: 'Subscribers gained and lost', testid: 'chart-subscribers',
    series: [
      { key: 'subscribers_gained', label: 'Gained', kind: 'count', color: 'up' },
      { key: 'subscribers_lost', label: 'Lost', kind: 'count', direction: 'down', color: 'down' },
    ],
    emptyText: 'No one subscribed or unsubscribed in this period.',
  });
  const engagement = barChart({
    title: 'Likes and comments', testid: 'chart-engagement',
    series: [
      { key: 'likes', label: 'Likes', kind: 'count', color: 1 },
      { key: 'comments', label: 'Comments', kind: 'count', color: 2 },
    ],
    emptyText: 'No likes or comments in this period.',
  });
  const top = topVideosTable();

  let generation = 0;
  const load = async () => {
    const mine = ++generation;
    region.busy();
    try {
      const answer = await fetchAnalytics('/api/analytics/channel', { range });
      if (mine !== generation) return;
      period.textContent = rangeText(answer.range);
      const granularity = answer.range?.granularity ?? 'day';
      cards.update(answer.totals ?? {});
      views.update({ rows: answer.series, granularity });
      subscribers.update({ rows: answer.series, granularity });
      engagement.update({ rows: answer.series, granularity });
      top.update(answer.top_videos);
      region.done();
      main.dataset.loaded = range;
    } catch (error) {
      if (mine !== generation) return;
      if (error.status === 401) {
        navigate(loginUrl(`${location.pathname}${location.search}`), { replace: true });
        return;
      }
      region.fail(`Your channel’s figures could not be loaded. ${error.message}`);
    }
  };
  const picker = segmentedControl({
    label: 'Period', options: ranges, value: range, testid: 'range-picker',
    onChange: (next) => {
      range = next;
      writeQuery({ range });
      load();
    },
  });
  const region = loadingRegion(h('div', { class: 'analytics__body' },
    cards.element,
    h('div', { class: 'analytics__charts' },
      h('div', { class: 'analytics__chart analytics__chart--wide' }, views.element),
      h('div', { class: 'analytics__chart' }, subscribers.element),
      h('div', { class: 'analytics__chart' }, engagement.element)),
    top.element), { onRetry: () => load() });

  replaceChildren(main,
    h('section', { class: 'analytics', 'aria-labelledby': 'studio-title' },
      h('header', { class: 'page-header' },
        h('div', { class: 'page-header__text' },
          h('h1', { class: 'page-header__title', id: 'studio-title', text: 'Studio' }),
          h('p', { class: 'page-header__intro', text: 'How your channel does: views, watch time, subscribers and your most watched videos.' })),
        canUpload(user)
          ? h('div', { class: 'page-header__actions' },
            h('a', { class: 'button button--outline', href: myVideosUrl, text: 'My videos' }),
            h('a', { class: 'button button--primary', href: uploadUrl, text: 'Upload' }))
          : null),
      h('div', { class: 'analytics__toolbar' }, picker.element, period),
      region.element));
  await load();
}
