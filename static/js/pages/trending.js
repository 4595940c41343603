// /trending: the videos watched most right now (GET /api/analytics/trending), in three
// tabs — the last hour, day and week. The tabs follow the WAI-ARIA tabs pattern (arrow
// keys, Home and End move and show); the chosen one is kept in the address (?window=).
import { h, replaceChildren } from '../dom.js';
import { emptyScreenArt } from '../components/art.js';
import { videoList } from '../components/video-list.js';
import { recentViewsNote, trendingWindows } from '../analytics.js';

export const name = 'trending';
export const title = 'Trending';

export async function render(main) {
  const wanted = new URLSearchParams(location.search).get('window');
  let current = trendingWindows.some((w) => w.value === wanted) ? wanted : '24h';

  const panel = h('div', { class: 'tabs__panel', role: 'tabpanel', id: 'trending-panel', tabindex: '-1' });
  const tabs = trendingWindows.map((w) => h('button', {
    class: 'tabs__tab', type: 'button', role: 'tab', id: `trending-tab-${w.value}`, 'aria-controls': 'trending-panel',
    dataset: { window: w.value }, text: w.label,
  }));
  const list = h('div', { class: 'tabs__list', role: 'tablist', 'aria-label': 'Trending over' }, tabs);

  const show = async (value, { focus = false } = {}) => {
    current = value;
    for (const tab of tabs) {
      const selected = tab.dataset.window === value;
      tab.setAttribute('aria-selected', String(selected));
      tab.tabIndex = selected ? 0 : -1;
      if (selected && focus) tab.focus();
    }
    panel.setAttribute('aria-labelledby', `trending-tab-${value}`);
    const params = new URLSearchParams(location.search);
    if (value === '24h') params.delete('window');
    else params.set('window', value);
    history.replaceState(history.state, '', `${location.pathname}${params.size ? `?${params}` : ''}`);
    const videos = videoList({
      path: '/api/analytics/trending', params: { window: value }, id: 'trending-grid', label: `Trending ${trendingWindows.find((w) => w.value === value).recent}`,
      limit: 24, cardOptions: { note: recentViewsNote(value) },
      empty: h('div', { class: 'empty-state' },
        emptyScreenArt(),
        h('h2', { class: 'empty-state__title', text: 'Nothing trending yet' }),
        h('p', { class: 'empty-state__text', text: 'Videos people watch a lot show up here. Nothing was watched in this period.' })),
    });
    replaceChildren(panel, videos.element);
    await videos.load();
    if (current === value) panel.dataset.loaded = value;
  };

  list.addEventListener('click', (event) => {
    const tab = event.target.closest('[role="tab"]');
    if (tab && tab.dataset.window !== current) show(tab.dataset.window);
  });
  list.addEventListener('keydown', (event) => {
    const index = tabs.findIndex((tab) => tab.dataset.window === current);
    const moves = { ArrowLeft: index - 1, ArrowRight: index + 1, Home: 0, End: tabs.length - 1 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const next = tabs[(moves[event.key] + tabs.length) % tabs.length];
    show(next.dataset.window, { focus: true });
  });

  replaceChildren(main,
    h('section', { class: 'trending', 'aria-labelledby': 'trending-title' },
      h('header', { class: 'page-header' },
        h('div', { class: 'page-header__text' },
          h('h1', { class: 'page-header__title', id: 'trending-title', text: 'Trending' }),
          h('p', { class: 'page-header__intro', text: 'What people are watching now: fresh views count most.' }))),
      list,
      panel));
  await show(current);
}
