// The home page: shelves of video cards (latest for now; trending and subscriptions
// join later). Until the videos API exists, the shelf shows its empty state and no
// request is made.
import { h, replaceChildren } from '../dom.js';
import { renderVideoCard } from '../components/video-card.js';
import { emptyScreenArt } from '../components/art.js';
import { loadSession } from '../session.js';
import { channelUrl } from '../urls.js';

export const name = 'home';
export const title = null;  // the site name alone

// Fills a shelf's grid, or shows its empty state when there is nothing to show.
export function showVideos(grid, empty, videos) {
  replaceChildren(grid, videos.map(renderVideoCard));
  grid.hidden = videos.length === 0;
  empty.hidden = videos.length > 0;
  grid.removeAttribute('aria-busy');
}

export function render(main) {
  const grid = h('ul', { class: 'video-grid', id: 'latest-grid', dataset: { feed: 'latest' }, hidden: true });
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
  // to sign in or takes signed-in people to their channel.
  loadSession().then((user) => {
    if (user) {
      action.textContent = 'Go to your channel';
      action.href = channelUrl(user);
    }
    action.classList.remove('is-pending');
  });
  replaceChildren(main,
    h('section', { class: 'shelf', 'aria-labelledby': 'latest-title' },
      h('div', { class: 'shelf__header' },
        h('h1', { class: 'shelf__title', id: 'latest-title', text: 'Latest videos' })),
      grid,
      empty));
}
