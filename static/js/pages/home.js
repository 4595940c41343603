// The home page: rows of the latest and of the most viewed public videos
// (GET /api/videos?sort=latest|popular) as grids of cards, with the empty state of a
// brand-new site. Trending and subscriptions join later.
import { h, replaceChildren } from '../dom.js';
import { emptyScreenArt } from '../components/art.js';
import { videoList } from '../components/video-list.js';
import { loadSession } from '../session.js';
import { uploadUrl, channelUrl } from '../urls.js';
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
  const popularShelf = h('section', { class: 'shelf', 'aria-labelledby': 'popular-title' },
    h('div', { class: 'shelf__header' },
      h('h2', { class: 'shelf__title', id: 'popular-title', text: 'Popular' })),
    popular.element);
  replaceChildren(main,
    h('section', { class: 'shelf', 'aria-labelledby': 'latest-title' },
      h('div', { class: 'shelf__header' },
        h('h1', { class: 'shelf__title', id: 'latest-title', text: 'Latest videos' })),
      latest.element),
    popularShelf);
  await Promise.all([latest.load(), popular.load()]);
  // A new site has no popular row to show: the empty state above says it all.
  popularShelf.hidden = popular.grid.hidden;
}
