// The home page: rows of what is trending today (GET /api/analytics/trending, with a link
// to /trending), the latest and the most viewed public videos
// (GET /api/videos?sort=latest|popular) as grids of cards, with the empty state of a
// brand-new site (no trending and no popular row then). Subscriptions join later.
import { h, replaceChildren } from '../dom.js';
import { emptyScreenArt } from '../components/art.js';
import { videoList } from '../components/video-list.js';
import { recentViewsNote } from '../analytics.js';
import { loadSession } from '../session.js';
import { uploadUrl, channelUrl, trendingUrl } from '../urls.js';
import { canUpload } from '../videos.js';

export const name = 'home';
export const title = null;  // the site name alone

export async function render(main) {
  const action = h('a', { class: 'button button--primary is-pending', href: '/login', text: 'Sign in to upload' });
  const empty = h('div', { class: 'empty-state', id: 'latest-empty' },
    emptyScreenArt(),
    h('h2', { class: 'empty-state__title', text: 'No videos yet' }),
    h('p', {
      class: 'empty-state__text',
      text: 'This monotube is brand new. When creators upload videos, the newest ones will show up right here.',
    }),
    action);
  // The button keeps its place while the session loads (no jump), then invites visitors
  // to sign in, creators to upload, and everyone else to their channel.
  loadSession().then((user) => {
    if (user && canUpload(user)) {
      action.textContent = 'Upload a video';
      action.href = uploadUrl;
    } else if (user) {
      action.textContent = 'Go to your channel';
      action.href = channelUrl(user);
    }
    action.classList.remove('is-pending');
  });
  const latest = videoList({
    path: '/api/videos', params: { sort: 'latest' }, id: 'latest-grid', label: 'Latest videos', empty,
  });
  const popular = videoList({
    path: '/api/videos', params: { sort: 'popular' }, id: 'popular-grid', label: 'Popular videos', limit: 12,
    empty: h('p', { class: 'empty-state__text', text: 'Nothing watched yet.' }),
  });
  const trending = videoList({
    path: '/api/analytics/trending', params: { window: '24h' }, id: 'trending-grid', label: 'Trending videos', limit: 8,
    cardOptions: { note: recentViewsNote('24h') },
    empty: h('p', { class: 'empty-state__text', text: 'Nothing trending yet.' }),
  });
  const trendingShelf = h('section', { class: 'shelf', 'aria-labelledby': 'trending-title', dataset: { testid: 'trending-shelf' } },
    h('div', { class: 'shelf__header' },
      h('h2', { class: 'shelf__title', id: 'trending-title', text: 'Trending' }),
      h('a', { class: 'shelf__more', href: trendingUrl, text: 'See all trending' })),
    trending.element);
  const popularShelf = h('section', { class: 'shelf', 'aria-labelledby': 'popular-title' },
    h('div', { class: 'shelf__header' },
      h('h2', { class: 'shelf__title', id: 'popular-title', text: 'Popular' })),
    popular.element);
  replaceChildren(main,
    h('h1', { class: 'visually-hidden', text: 'Videos on monotube' }),
    trendingShelf,
    h('section', { class: 'shelf', 'aria-labelledby': 'latest-title' },
      h('div', { class: 'shelf__header' },
        h('h2', { class: 'shelf__title', id: 'latest-title', text: 'Latest videos' })),
      latest.element),
    popularShelf);
  await Promise.all([latest.load(), popular.load(), trending.load()]);
  // A new or quiet site has no trending or popular row to show (nor an error about one):
  // the latest videos, or the empty state, say it all.
  trendingShelf.hidden = trending.grid.hidden;
  popularShelf.hidden = popular.grid.hidden;
}
