// The home page: shelves of video cards (latest for now; trending and subscriptions
// join later). Until the videos API exists, the shelf shows its empty state and no
// request is made.
import { replaceChildren } from '../dom.js';
import { renderVideoCard } from '../components/video-card.js';

// Fills a shelf's grid, or shows its empty state when there is nothing to show.
export function showVideos(grid, empty, videos) {
  replaceChildren(grid, videos.map(renderVideoCard));
  grid.hidden = videos.length === 0;
  empty.hidden = videos.length > 0;
  grid.removeAttribute('aria-busy');
}

export function init() {}
