// A paginated grid of video cards fed by a list endpoint ({videos, next_cursor}):
// skeleton cards while the first page loads, the empty state when there is nothing,
// a "Show more" button while there are more pages, and the error in plain words.
import { api } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { renderSkeletonCards, renderVideoCard } from './video-card.js';

export function videoList({ path, params = {}, empty, label, id, limit = 24, cardOptions = {} }) {
  const grid = h('ul', { class: 'video-grid', id, 'aria-label': label, 'aria-busy': 'true' }, renderSkeletonCards(8));
  const more = h('button', { class: 'button button--outline video-list__more', type: 'button', text: 'Show more', hidden: true });
  const alert = h('div', { class: 'notice notice--error', role: 'alert', hidden: true });
  empty.hidden = true;
  const element = h('div', { class: 'video-list' }, alert, grid, empty, more);
  let cursor = null;
  let first = true;

  const load = async () => {
    const query = new URLSearchParams({ ...params, limit: String(limit) });
    if (cursor) query.set('cursor', cursor);
    more.disabled = true;
    try {
      const page = await api(`${path}?${query}`);
      const cards = (page.videos ?? []).map((video) => renderVideoCard(video, cardOptions));
      if (first) replaceChildren(grid, cards);
      else grid.append(...cards);
      cursor = page.next_cursor ?? null;
      more.hidden = !cursor;
      alert.hidden = true;
    } catch (error) {
      if (first) replaceChildren(grid);
      replaceChildren(alert, h('p', { text: `The videos could not be loaded. ${error.message}` }));
      alert.hidden = false;
    } finally {
      first = false;
      more.disabled = false;
      grid.removeAttribute('aria-busy');
      const none = grid.children.length === 0;
      grid.hidden = none;
      empty.hidden = !none || !alert.hidden;
    }
  };
  more.addEventListener('click', load);
  return { element, grid, load };
}
