// /feed/subscriptions: the new videos of the channels the signed-in person follows
// (GET /api/feed/subscriptions, newest first, "Show more" for older ones), and beside it
// (below on phones) the channels they follow (GET /api/me/subscriptions) with an
// Unsubscribe button each — which turns into Subscribe again, so a slip is undone with
// one more click. Visitors are sent to sign in first.
import { api } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { navigate } from '../forms.js';
import { emptyScreenArt } from '../components/art.js';
import { renderAvatar } from '../components/avatar.js';
import { subscribeButton } from '../components/subscribe-button.js';
import { videoList } from '../components/video-list.js';
import { formatSubscribers, timeAgo } from '../format.js';
import { displayName, loadSession } from '../session.js';
import { channelUrl, loginUrl, subscriptionsFeedUrl } from '../urls.js';

export const name = 'subscriptions';
export const title = 'Subscriptions';

const pageSize = 30;

// The channels followed, a page at a time.
function channelList() {
  const list = h('ul', { class: 'following__list', 'aria-labelledby': 'following-title', dataset: { testid: 'following-list' } });
  const alert = h('div', { class: 'notice notice--error', role: 'alert', hidden: true });
  const empty = h('p', {
    class: 'following__empty', hidden: true,
    text: 'You don’t follow any channel yet. Subscribe on a channel or under a video you like.',
  });
  const more = h('button', { class: 'button button--outline button--small following__more', type: 'button', text: 'Show more', hidden: true });
  let cursor = null;

  const row = ({ channel, subscribed_at: since }) => {
    const count = h('span', { class: 'following__count', text: formatSubscribers(channel.subscriber_count) });
    const toggle = subscribeButton(channel, {
      subscribed: true,
      onChange: (answer) => {
        count.textContent = formatSubscribers(answer.subscriber_count);
        item.classList.toggle('following__item--left', !answer.subscribed);
      },
    });
    toggle.button.classList.add('button--small');
    const item = h('li', { class: 'following__item', dataset: { testid: 'following-item', channelId: channel.id } },
      h('a', { class: 'following__channel', href: channelUrl(channel) },
        renderAvatar(channel, { size: 'medium' }),
        h('span', { class: 'following__names' },
          h('span', { class: 'following__name', text: displayName(channel) }),
          h('span', { class: 'following__facts', title: since ? `Subscribed ${timeAgo(since)}` : undefined }, count))),
      toggle.element);
    return item;
  };

  const load = async () => {
    const query = new URLSearchParams({ limit: String(pageSize) });
    if (cursor) query.set('cursor', cursor);
    more.disabled = true;
    list.setAttribute('aria-busy', 'true');
    try {
      const page = await api(`/api/me/subscriptions?${query}`);
      list.append(...(page.subscriptions ?? []).map(row));
      cursor = page.next_cursor ?? null;
      alert.hidden = true;
    } catch (error) {
      replaceChildren(alert, h('p', { text: `Your subscriptions could not be loaded. ${error.message}` }));
      alert.hidden = false;
    } finally {
      list.removeAttribute('aria-busy');
      more.hidden = !cursor;
      more.disabled = false;
      empty.hidden = list.children.length > 0 || !alert.hidden;
    }
  };
  more.addEventListener('click', load);

  const element = h('aside', { class: 'following', 'aria-labelledby': 'following-title' },
    h('h2', { class: 'following__title', id: 'following-title', text: 'Channels you follow' }),
    alert, list, empty, more);
  return { element, load };
}

export async function render(main) {
  const user = await loadSession();
  if (!user) {
    navigate(loginUrl(subscriptionsFeedUrl), { replace: true });
    return;
  }

  const empty = h('div', { class: 'empty-state' },
    emptyScreenArt(),
    h('h2', { class: 'empty-state__title', text: 'No new videos' }),
    h('p', {
      class: 'empty-state__text',
      text: 'New videos from the channels you subscribe to show up here, newest first.',
    }),
    h('a', { class: 'button button--primary', href: '/', text: 'Find videos to watch' }));
  const feed = videoList({
    path: '/api/feed/subscriptions', id: 'subscriptions-grid', label: 'New videos from your subscriptions', empty,
  });
  const channels = channelList();

  replaceChildren(main,
    h('div', { class: 'subscriptions' },
      h('section', { class: 'shelf subscriptions__feed', 'aria-labelledby': 'subscriptions-title' },
        h('div', { class: 'shelf__header' },
          h('h1', { class: 'shelf__title', id: 'subscriptions-title', text: 'Subscriptions' })),
        feed.element),
      channels.element));
  await Promise.all([feed.load(), channels.load()]);
}
