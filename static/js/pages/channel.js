// /channel/{user_id}: a channel's page — avatar, names, bio, subscriber count with the
// Subscribe button (for everyone but the owner), joined date, and its videos
// (GET /api/users/{user_id}/videos; the owner also sees the ones that are not public or
// not ready yet).
import { api } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { emptyScreenArt } from '../components/art.js';
import { renderAvatar } from '../components/avatar.js';
import { subscribeButton } from '../components/subscribe-button.js';
import { videoList } from '../components/video-list.js';
import { formatDate, formatSubscribers } from '../format.js';
import { subscription } from '../interactions.js';
import { currentUser, displayName, loadSession } from '../session.js';
import { myVideosUrl, uploadUrl } from '../urls.js';
import { canUpload } from '../videos.js';

export const name = 'channel';
export const title = 'Channel';

function renderSkeleton(main) {
  replaceChildren(main,
    h('div', { class: 'channel-header channel-header--loading', 'aria-hidden': 'true' },
      h('span', { class: 'avatar avatar--large skeleton-block' }),
      h('div', { class: 'channel-header__text' },
        h('span', { class: 'skeleton-line channel-header__skeleton-name' }),
        h('span', { class: 'skeleton-line skeleton-line--short' }))));
}

function renderNotFound(main) {
  document.title = 'Channel not found · monotube';
  document.head.append(h('meta', { name: 'robots', content: 'noindex' }));
  replaceChildren(main,
    h('section', { class: 'error-page', 'aria-labelledby': 'error-title' },
      h('h1', { class: 'error-page__title', id: 'error-title', text: 'This channel doesn’t exist' }),
      h('p', {
        class: 'error-page__text',
        text: 'The link may be wrong, or the account behind it may have been deleted.',
      }),
      h('div', { class: 'error-page__actions' },
        h('a', { class: 'button button--primary', href: '/', text: 'Go to the home page' }))));
}

function renderError(main, error) {
  replaceChildren(main,
    h('div', { class: 'notice notice--error', role: 'alert' },
      h('p', { text: `This channel could not be loaded. ${error.message}` })));
}

export async function render(main, { user_id: userId }) {
  renderSkeleton(main);
  let user;
  try {
    [{ user }] = await Promise.all([api(`/api/users/${encodeURIComponent(userId)}`), loadSession()]);
  } catch (error) {
    if (error.status === 404) renderNotFound(main);
    else renderError(main, error);
    return;
  }

  const name = displayName(user);
  document.title = `${name} · monotube`;
  const own = currentUser()?.id === user.id;
  const subscribers = h('span', {
    class: 'channel-header__fact', dataset: { testid: 'subscriber-count' }, text: formatSubscribers(user.subscriber_count),
  });
  const facts = [h('span', { class: 'channel-header__fact', text: `@${user.username}` }), subscribers];
  const joined = formatDate(user.created_at);
  const subscribe = own ? null : subscribeButton(user, {
    onChange: (answer) => {
      subscribers.textContent = formatSubscribers(answer.subscriber_count);
    },
  });

  const empty = h('div', { class: 'empty-state' },
    emptyScreenArt(),
    h('h3', { class: 'empty-state__title', text: 'No videos yet' }),
    h('p', {
      class: 'empty-state__text',
      text: own
        ? 'Videos you upload will show up here for your viewers.'
        : `${name} hasn’t uploaded any videos yet. Check back later.`,
    }),
    own && canUpload(user) ? h('a', { class: 'button button--primary', href: uploadUrl, text: 'Upload a video' }) : null);
  const videos = videoList({
    path: `/api/users/${encodeURIComponent(user.id)}/videos`, id: 'channel-grid', label: `Videos of ${name}`, empty,
    cardOptions: { showChannel: false },
  });

  replaceChildren(main,
    h('header', { class: 'channel-header' },
      renderAvatar(user, { size: 'large' }),
      h('div', { class: 'channel-header__text' },
        h('h1', { class: 'channel-header__name', text: name }),
        h('p', { class: 'channel-header__facts' },
          facts.map((fact, i) => [i > 0 ? h('span', { 'aria-hidden': 'true', text: ' · ' }) : null, fact])),
        joined ? h('p', { class: 'channel-header__joined', text: `Joined ${joined}` }) : null,
        user.bio ? h('p', { class: 'channel-header__bio', text: user.bio }) : null),
      own
        ? h('div', { class: 'channel-header__actions' },
          canUpload(user) ? h('a', { class: 'button button--outline', href: myVideosUrl, text: 'Manage videos' }) : null,
          h('a', { class: 'button button--outline', href: '/settings', text: 'Edit profile' }))
        : h('div', { class: 'channel-header__actions' }, subscribe.element)),
    h('section', { class: 'shelf channel-videos', 'aria-labelledby': 'channel-videos-title' },
      h('div', { class: 'shelf__header' },
        h('h2', { class: 'shelf__title', id: 'channel-videos-title', text: 'Videos' })),
      videos.element));
  // Signed in: whether this viewer follows the channel (the count may have moved too).
  const following = currentUser() && subscribe
    ? subscription(user.id).then((answer) => {
      subscribe.set(answer.subscribed);
      subscribers.textContent = formatSubscribers(answer.subscriber_count);
    }, (error) => console.warn('monotube: could not load the subscription', error))
    : null;
  await Promise.all([videos.load(), following]);
}
