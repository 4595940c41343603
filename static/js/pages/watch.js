// /watch/{video_id}: the player first, then the title; the channel with its subscriber
// count and Subscribe button, like/dislike with their counts; views and date, the
// description and tags; then the comments. A video that is still being processed shows
// its live status in the player's place (and the player once it is ready); a failed one
// says why. The view count follows the player's view reports.
import { h, replaceChildren } from '../dom.js';
import { renderAvatar } from '../components/avatar.js';
import { commentSection } from '../components/comments.js';
import { ratingButtons } from '../components/rating-buttons.js';
import { reportButton } from '../components/report-dialog.js';
import { subscribeButton } from '../components/subscribe-button.js';
import { videoStatusPanel } from '../components/video-status.js';
import { formatDate, formatSubscribers, formatViews, timeAgo } from '../format.js';
import { subscription } from '../interactions.js';
import { createPlayer } from '../player/player.js';
import { currentUser, displayName, loadSession } from '../session.js';
import { channelUrl, myVideosUrl, searchUrl, studioVideoUrl } from '../urls.js';
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

// The channel: avatar and name (links to the channel), the subscriber count, and the
// Subscribe button for everyone but the owner. The count and the button's state come
// from GET /api/users/{id}/subscription, asked for once the page is up.
function renderOwner(video) {
  const owner = video.owner ?? {};
  if (!owner.id) return { element: null, load: async () => {} };
  const subscribers = h('span', { class: 'watch__subscribers', dataset: { testid: 'subscriber-count' } });
  const own = currentUser()?.id === owner.id;
  const showCount = (count) => {
    subscribers.textContent = formatSubscribers(count);
  };
  const subscribe = own ? null : subscribeButton(owner, { onChange: (answer) => showCount(answer.subscriber_count) });
  const element = h('div', { class: 'watch__owner' },
    h('a', { class: 'watch__channel-avatar', href: channelUrl(owner), tabindex: '-1', 'aria-hidden': 'true' },
      renderAvatar(owner, { size: 'medium' })),
    h('div', { class: 'watch__channel-text' },
      h('a', { class: 'watch__channel', href: channelUrl(owner), dataset: { testid: 'channel-link' } },
        h('span', { class: 'watch__channel-name', text: displayName(owner) })),
      subscribers),
    subscribe?.element);
  const load = async () => {
    try {
      const answer = await subscription(owner.id);
      showCount(answer.subscriber_count);
      subscribe?.set(answer.subscribed);
    } catch (error) {
      // The button still works; only the count is missing.
      console.warn('monotube: could not load the subscription', error);
    }
  };
  return { element, load };
}

// The owner (and staff) still see a video the moderators hid, or whose owner is
// suspended; they are told that nobody else does.
function renderWithdrawn(video) {
  if (!video.hidden && !video.owner_suspended) return null;
  const own = currentUser()?.id === video.owner?.id;
  const text = video.hidden
    ? (own
      ? 'The moderators hid this video: only you and the site’s staff can see it. Contact the site’s administrators if you think this is a mistake.'
      : 'This video is hidden by the moderators: only its owner and the staff can see it.')
    : 'This video’s owner is suspended: only the owner and the staff can see it.';
  return h('div', { class: 'notice notice--error watch__withdrawn', role: 'note', dataset: { testid: 'video-hidden-notice' } },
    h('p', { text }));
}

// Its owner and admins see how a video does (GET /api/analytics/videos/{id} lets them).
function canSeeAnalytics(video) {
  const user = currentUser();
  return Boolean(user && video.status === 'ready' && (user.id === video.owner?.id || user.role === 'admin'));
}

function renderInfo(video, { views, owner, rating }) {
  const facts = [formatDate(video.created_at)].filter(Boolean);
  views.textContent = formatViews(video.views);
  return h('div', { class: 'watch__info' },
    renderWithdrawn(video),
    h('h1', { class: 'watch__title', dataset: { testid: 'video-title' }, text: video.title }),
    h('div', { class: 'watch__bar' },
      owner.element,
      h('div', { class: 'watch__actions' },
        rating,
        canSeeAnalytics(video)
          ? h('a', { class: 'button button--outline', href: studioVideoUrl(video.id), text: 'Analytics', dataset: { testid: 'analytics-link' } })
          : null,
        video.can_edit
          ? h('a', { class: 'button button--outline', href: `${myVideosUrl}#video-${encodeURIComponent(video.id)}`, text: 'Edit video' })
          : null,
        // Everyone but the owner can report it (visitors are asked to sign in first).
        video.owner?.id && currentUser()?.id !== video.owner.id ? reportButton({ type: 'video', id: video.id }) : null)),
    h('div', { class: 'watch__about' },
      h('p', { class: 'watch__facts' },
        views,
        facts[0] ? h('span', { 'aria-hidden': 'true', text: ' · ' }) : null,
        facts[0] ? h('time', { datetime: video.created_at, title: timeAgo(video.created_at), text: facts[0] }) : null,
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

  const views = h('span', { dataset: { testid: 'views' } });
  const stage = h('div', { class: 'watch__stage' });
  // Rating and comments come with the player: a video still processing has neither yet.
  const rating = h('div', { class: 'watch__rating' });
  const commentsSlot = h('div', { class: 'watch__comments' });
  let interactive = false;
  const showInteractions = async (current) => {
    if (interactive || current.status !== 'ready') return;
    interactive = true;
    replaceChildren(rating, ratingButtons(current).element);
    const comments = commentSection(current);
    replaceChildren(commentsSlot, comments.element);
    await comments.load();
  };
  let player = null;
  const showStage = (current) => {
    if (current.status === 'ready' && current.hls_url) {
      showInteractions(current);
      player?.destroy();
      player = createPlayer(current, {
        // Signed-in viewers resume where the server says; visitors where this browser says.
        resumePosition: currentUser() ? (current.resume_position ?? null) : undefined,
        onViews: (count) => {
          views.textContent = formatViews(count);
        },
      });
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

  const owner = renderOwner(video);
  replaceChildren(main,
    h('div', { class: 'watch' },
      h('div', { class: 'watch__primary' }, stage, renderInfo(video, { views, owner, rating }), commentsSlot)));
  await Promise.all([owner.load(), showInteractions(video)]);
}
