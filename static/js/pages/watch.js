// /watch/{video_id}: the player first, then the title, views and date, the channel, the
// description and tags. A video that is still being processed shows its live status in
// the player's place (and the player once it is ready); a failed one says why.
import { h, replaceChildren } from '../dom.js';
import { renderAvatar } from '../components/avatar.js';
import { videoStatusPanel } from '../components/video-status.js';
import { formatDate, formatViews, timeAgo } from '../format.js';
import { createPlayer } from '../player/player.js';
import { displayName, loadSession } from '../session.js';
import { channelUrl, myVideosUrl, searchUrl } from '../urls.js';
import { fetchVideo, followVideo, visibilityLabel } from '../videos.js';

export const name = 'watch';
export const title = 'Watch';

function renderSkeleton(main) {
  replaceChildren(main,
    h('div', { class: 'watch', 'aria-hidden': 'true' },
      h('div', { class: 'watch__primary' },
        h('div', { class: 'player player--skeleton skeleton-block' }),
        h('span', { class: 'skeleton-line watch__skeleton-title' }),
        h('span', { class: 'skeleton-line skeleton-line--short' }))));
}

function renderNotFound(main) {
  document.title = 'Video not found · monotube';
  document.head.append(h('meta', { name: 'robots', content: 'noindex' }));
  replaceChildren(main,
    h('section', { class: 'error-page', 'aria-labelledby': 'error-title' },
      h('h1', { class: 'error-page__title', id: 'error-title', text: 'This video isn’t available' }),
      h('p', {
        class: 'error-page__text',
        text: 'The link may be wrong, the video may have been deleted, or its owner may have made it private.',
      }),
      h('div', { class: 'error-page__actions' },
        h('a', { class: 'button button--primary', href: '/', text: 'Go to the home page' }))));
}

// Long descriptions open at a few lines, with a button to show all of it.
function renderDescription(text) {
  if (!text) return null;
  const body = h('p', { class: 'watch__description-text', id: 'watch-description', dataset: { testid: 'description' }, text });
  const box = h('div', { class: 'watch__description' }, body);
  const long = text.length > 300 || text.split('\n').length > 4;
  if (long) {
    box.classList.add('watch__description--collapsed');
    const toggle = h('button', {
      class: 'watch__more', type: 'button', 'aria-expanded': 'false', 'aria-controls': 'watch-description', text: 'Show more',
    });
    toggle.addEventListener('click', () => {
      const expanded = box.classList.toggle('watch__description--collapsed') === false;
      toggle.setAttribute('aria-expanded', String(expanded));
      toggle.textContent = expanded ? 'Show less' : 'Show more';
    });
    box.append(toggle);
  }
  return box;
}

function renderInfo(video) {
  const owner = video.owner ?? {};
  const ownerName = displayName(owner);
  const facts = [formatViews(video.views), formatDate(video.created_at)].filter(Boolean);
  return h('div', { class: 'watch__info' },
    h('h1', { class: 'watch__title', dataset: { testid: 'video-title' }, text: video.title }),
    h('div', { class: 'watch__bar' },
      owner.id
        ? h('a', { class: 'watch__channel', href: channelUrl(owner), dataset: { testid: 'channel-link' } },
          renderAvatar(owner, { size: 'medium' }),
          h('span', { class: 'watch__channel-name', text: ownerName }))
        : null,
      video.can_edit
        ? h('a', { class: 'button button--outline', href: `${myVideosUrl}#video-${encodeURIComponent(video.id)}`, text: 'Edit video' })
        : null),
    h('div', { class: 'watch__about' },
      h('p', { class: 'watch__facts' },
        h('span', { dataset: { testid: 'views' }, text: facts[0] }),
        facts[1] ? h('span', { 'aria-hidden': 'true', text: ' · ' }) : null,
        facts[1] ? h('time', { datetime: video.created_at, title: timeAgo(video.created_at), text: facts[1] }) : null,
        video.visibility !== 'public'
          ? [h('span', { 'aria-hidden': 'true', text: ' · ' }), h('span', { class: 'watch__visibility', text: visibilityLabel(video.visibility) })]
          : null),
      renderDescription(video.description),
      video.tags?.length
        ? h('ul', { class: 'watch__tags', 'aria-label': 'Tags' },
          video.tags.map((tag) => h('li', {}, h('a', { class: 'tag', href: searchUrl(tag), text: `#${tag}` }))))
        : null));
}

export async function render(main, { video_id: videoId }) {
  renderSkeleton(main);
  let video;
  try {
    [video] = await Promise.all([fetchVideo(videoId), loadSession()]);
  } catch (error) {
    if (error.status === 404) renderNotFound(main);
    else replaceChildren(main, h('div', { class: 'notice notice--error', role: 'alert' }, h('p', { text: `This video could not be loaded. ${error.message}` })));
    return;
  }
  document.title = `${video.title} · monotube`;

  const stage = h('div', { class: 'watch__stage' });
  let player = null;
  const showStage = (current) => {
    if (current.status === 'ready' && current.hls_url) {
      player?.destroy();
      player = createPlayer(current);
      replaceChildren(stage, player.element);
      return;
    }
    const panel = videoStatusPanel(current);
    replaceChildren(stage, h('div', { class: 'watch__pending', dataset: { testid: 'pending' } },
      current.thumbnail_url ? h('img', { class: 'watch__pending-poster', src: current.thumbnail_url, alt: '' }) : null,
      panel.element));
    if (current.status === 'uploading' || current.status === 'processing') {
      followVideo(current.id, {
        onUpdate: (next) => {
          if (next.status === 'ready') showStage(next);
          else panel.update(next);
        },
        onGone: () => renderNotFound(main),
      });
    }
  };
  showStage(video);

  replaceChildren(main,
    h('div', { class: 'watch' },
      h('div', { class: 'watch__primary' }, stage, renderInfo(video))));
}
