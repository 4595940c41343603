// The notifications bell of the header (signed-in people only): a button with the unread
// count as a badge ("Notifications, 3 unread" to screen readers) that opens a panel
// listing the notifications — the new video's thumbnail, "X uploaded: Title", the time —
// newest first, a page at a time, with "Mark all as read". Opening one marks it read and
// goes to its video.
//
// The count is asked for (GET /api/me/notifications/unread-count, cheap) every 30 s
// while the page is visible and when the window gets the focus back.
//
// Keyboard (the disclosure pattern, like the account menu, with popupPanel() from
// ../popup-panel.js): Enter/Space/ArrowDown open the panel on the first notification,
// arrows, Home and End move between them, Escape closes and returns to the bell, Tab out
// of the panel or a click elsewhere closes it.
import { h, replaceChildren } from '../dom.js';
import { formatDateTime, timeAgo } from '../format.js';
import { icon } from '../icons.js';
import { listNotifications, markNotificationsRead, unreadCount } from '../interactions.js';
import { popupPanel } from '../popup-panel.js';
import { displayName } from '../session.js';
import { watchUrl } from '../urls.js';

const pollMs = 30_000;
const minGapMs = 5_000;

const badgeText = (count) => (count > 99 ? '99+' : String(count));

// signal: ends the polling and the document listeners (the user logged out or changed).
export function notificationsBell({ signal }) {
  let unread = 0;
  let cursor = null;
  let loaded = false;
  let lastAsked = 0;

  const badge = h('span', { class: 'notifications__badge', hidden: true, 'aria-hidden': 'true', dataset: { testid: 'notifications-badge' } });
  const button = h('button', {
    class: 'notifications__button', type: 'button', id: 'notifications-button',
    'aria-expanded': 'false', 'aria-controls': 'notifications-panel', 'aria-label': 'Notifications',
    title: 'Notifications', dataset: { testid: 'notifications-button' },
  }, icon('bell', { size: 24 }), badge);

  const list = h('ul', { class: 'notifications__list', 'aria-labelledby': 'notifications-title', dataset: { testid: 'notifications-list' } });
  const status = h('p', { class: 'notifications__status', role: 'status' });
  const markAll = h('button', {
    class: 'notifications__mark-all', type: 'button', text: 'Mark all as read', dataset: { testid: 'mark-all-read' },
  });
  const more = h('button', { class: 'notifications__more', type: 'button', text: 'Show older', hidden: true });
  const heading = h('h2', { class: 'notifications__title', id: 'notifications-title', tabindex: '-1', text: 'Notifications' });
  const panel = h('div', {
    class: 'notifications__panel', id: 'notifications-panel', role: 'region', 'aria-labelledby': 'notifications-title',
    hidden: true, dataset: { testid: 'notifications-panel' },
  },
  h('div', { class: 'notifications__header' }, heading, markAll),
  status,
  list,
  more);

  const showUnread = (count) => {
    unread = Math.max(0, Number(count) || 0);
    badge.textContent = badgeText(unread);
    badge.hidden = unread === 0;
    button.setAttribute('aria-label', unread > 0 ? `Notifications, ${unread} unread` : 'Notifications');
    button.title = unread > 0 ? `Notifications (${unread} unread)` : 'Notifications';
    markAll.disabled = unread === 0;
  };

  const refresh = async () => {
    const now = Date.now();
    if (now - lastAsked < minGapMs) return;
    lastAsked = now;
    try {
      showUnread(await unreadCount());
    } catch (error) {
      // The bell keeps what it showed; the next poll tries again.
      console.warn('monotube: could not ask for the unread notifications', error);
    }
  };

  // ---------- the panel's list ----------

  const links = () => Array.from(list.querySelectorAll('.notification'));

  const markRead = (link, notification) => {
    notification.read = true;
    link.classList.remove('notification--unread');
    link.querySelector('.notification__unread')?.remove();
  };

  const renderNotification = (notification) => {
    const actor = notification.actor ?? {};
    const video = notification.video ?? {};
    const who = displayName(actor) || 'A channel you follow';
    const link = h('a', {
      class: `notification${notification.read ? '' : ' notification--unread'}`, href: video.id ? watchUrl(video.id) : '#',
      dataset: { testid: 'notification', notificationId: notification.id, read: String(Boolean(notification.read)) },
    },
    h('span', { class: 'notification__thumb' },
      video.thumbnail_url ? h('img', { src: video.thumbnail_url, alt: '', loading: 'lazy', decoding: 'async', width: 96, height: 54 }) : null),
    h('span', { class: 'notification__text' },
      h('span', { class: 'notification__what' },
        h('strong', { text: who }), ' uploaded: ', h('span', { class: 'notification__title', text: video.title ?? 'a video' })),
      h('time', { class: 'notification__time', datetime: notification.created_at, title: formatDateTime(notification.created_at), text: timeAgo(notification.created_at) })),
    notification.read ? null : h('span', { class: 'notification__unread' }, h('span', { class: 'visually-hidden', text: 'Unread' })));
    link.addEventListener('click', async (event) => {
      if (notification.read) return;
      const plain = event.button === 0 && !event.ctrlKey && !event.metaKey && !event.shiftKey && !event.altKey;
      markRead(link, notification);
      showUnread(unread - 1);
      if (!plain) {
        // Opened in another tab: this page stays, so the request may take its time.
        markNotificationsRead([notification.id], { keepalive: true }).then(showUnread, () => {});
        return;
      }
      // Marked read before leaving, so the next page's bell already counts it.
      event.preventDefault();
      try {
        showUnread(await Promise.race([
          markNotificationsRead([notification.id], { keepalive: true }),
          new Promise((resolve) => setTimeout(() => resolve(unread), 3000)),
        ]));
      } catch (error) {
        console.warn('monotube: could not mark the notification read', error);
      }
      location.assign(link.href);
    });
    return h('li', { class: 'notifications__item' }, link);
  };

  const loadPage = async ({ first = false } = {}) => {
    more.disabled = true;
    if (first) {
      cursor = null;
      list.setAttribute('aria-busy', 'true');
      if (!loaded) status.textContent = 'Loading…';
    }
    try {
      const page = await listNotifications({ cursor, limit: 20 });
      const items = (page.notifications ?? []).map(renderNotification);
      if (first) replaceChildren(list, items);
      else list.append(...items);
      cursor = page.next_cursor ?? null;
      loaded = true;
      if (page.unread_count !== undefined && page.unread_count !== null) showUnread(page.unread_count);
      status.textContent = list.children.length === 0
        ? 'Nothing here yet. When channels you subscribe to upload a video, you will hear about it here.'
        : '';
    } catch (error) {
      status.textContent = `The notifications could not be loaded. ${error.message}`;
    } finally {
      list.removeAttribute('aria-busy');
      more.hidden = !cursor;
      more.disabled = false;
    }
  };

  markAll.addEventListener('click', async () => {
    markAll.disabled = true;
    try {
      showUnread(await markNotificationsRead(null));
      for (const link of links()) link.classList.remove('notification--unread');
      for (const dot of list.querySelectorAll('.notification__unread')) dot.remove();
      status.textContent = list.children.length === 0 ? status.textContent : 'All notifications are marked as read.';
      (links()[0] ?? heading).focus();
    } catch (error) {
      status.textContent = error.message;
      markAll.disabled = unread === 0;
    }
  });
  more.addEventListener('click', () => loadPage());

  // ---------- opening and closing ----------

  const { isOpen, open, close } = popupPanel({
    button, panel, items: links, empty: heading, load: () => loadPage({ first: true }), signal,
  });
  button.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' && !isOpen()) {
      event.preventDefault();
      open(0);
    }
  });
  panel.addEventListener('focusout', (event) => {
    if (event.relatedTarget && !panel.contains(event.relatedTarget) && event.relatedTarget !== button) close(false);
  });
  document.addEventListener('click', (event) => {
    if (isOpen() && !panel.contains(event.target) && !button.contains(event.target)) close(false);
  }, { signal });

  // ---------- keeping the count fresh ----------

  const timer = setInterval(() => {
    if (document.visibilityState === 'visible') refresh();
  }, pollMs);
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') refresh();
  }, { signal });
  window.addEventListener('focus', refresh, { signal });
  refresh();

  return { element: h('div', { class: 'notifications' }, button, panel), refresh };
}
