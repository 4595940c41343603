// A video card for the grids: thumbnail with duration, title (two lines at most),
// channel, views and age. Fields follow the API's video object.
import { h } from '../dom.js';
import { formatDuration, formatViews, timeAgo } from '../format.js';
import { channelUrl, watchUrl } from '../urls.js';

export function renderVideoCard(video) {
  const owner = video.owner ?? {};
  const ownerName = owner.display_name || owner.username || '';
  const stats = [formatViews(video.views), timeAgo(video.created_at)].filter(Boolean).join(' · ');
  return h('li', { class: 'video-card' },
    h('div', { class: 'video-card__thumb' },
      video.thumbnail_url
        ? h('img', { src: video.thumbnail_url, alt: '', loading: 'lazy', decoding: 'async', width: 320, height: 180 })
        : null,
      video.duration ? h('span', { class: 'video-card__duration', text: formatDuration(video.duration) }) : null),
    h('div', { class: 'video-card__body' },
      h('div', { class: 'video-card__meta' },
        h('h3', { class: 'video-card__title', title: video.title },
          h('a', { href: watchUrl(video.id), text: video.title })),
        ownerName
          ? h('p', { class: 'video-card__channel' },
            owner.id ? h('a', { href: channelUrl(owner), text: ownerName }) : ownerName)
          : null,
        h('p', { class: 'video-card__stats', text: stats }))));
}

// Placeholders with the shape of real cards while a list loads.
export function renderSkeletonCards(count = 8) {
  return Array.from({ length: count }, () =>
    h('li', { class: 'video-card video-card--skeleton', 'aria-hidden': 'true' },
      h('div', { class: 'video-card__thumb' }),
      h('div', { class: 'video-card__body' },
        h('div', { class: 'video-card__meta' },
          h('span', { class: 'skeleton-line' }),
          h('span', { class: 'skeleton-line skeleton-line--short' })))));
}
