// A video card for the grids: thumbnail with duration, title (two lines at most),
// channel, views and age. Fields follow the API's video object. The owner's own lists
// also hold videos that are not public or not ready; a badge says so. note(video): an
// extra line some lists add (trending: the recent views).
import { h } from '../dom.js';
import { formatDuration, formatViews, timeAgo } from '../format.js';
import { channelUrl, watchUrl } from '../urls.js';
import { statusLabel, visibilityLabel } from '../videos.js';

export function renderVideoCard(video, { showChannel = true, note = null } = {}) {
  const owner = video.owner ?? {};
  const ownerName = owner.display_name || owner.username || '';
  const stats = [formatViews(video.views), timeAgo(video.created_at)].filter(Boolean).join(' · ');
  const badges = [
    video.status && video.status !== 'ready' ? statusLabel(video) : null,
    video.visibility && video.visibility !== 'public' ? visibilityLabel(video.visibility) : null,
  ].filter(Boolean);
  return h('li', { class: 'video-card', dataset: { testid: 'video-card', videoId: video.id } },
    h('div', { class: 'video-card__thumb' },
      video.thumbnail_url
        ? h('img', { src: video.thumbnail_url, alt: '', loading: 'lazy', decoding: 'async', width: 320, height: 180 })
        : null,
      video.duration ? h('span', { class: 'video-card__duration', text: formatDuration(video.duration) }) : null,
      badges.length ? h('span', { class: 'video-card__badges' }, badges.map((text) => h('span', { class: 'video-card__badge', text }))) : null),
    h('div', { class: 'video-card__body' },
      h('div', { class: 'video-card__meta' },
        h('h3', { class: 'video-card__title', title: video.title },
          h('a', { href: watchUrl(video.id), text: video.title })),
        showChannel && ownerName
          ? h('p', { class: 'video-card__channel' },
            owner.id ? h('a', { href: channelUrl(owner), text: ownerName }) : ownerName)
          : null,
        h('p', { class: 'video-card__stats', text: stats }),
        note ? h('p', { class: 'video-card__note', text: note(video) }) : null)));
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
