// The site header shared by every page: the search box and its keyboard shortcut, and
// the account corner — "Sign in" for visitors, the notifications bell and an avatar
// button with the account menu for signed-in people. The markup is in index.html so the
// header is there before any script runs; the account corner replaces the "Sign in" link
// once the session is known.
import { api } from './api.js';
import { h, replaceChildren } from './dom.js';
import { renderAvatar } from './components/avatar.js';
import { notificationsBell } from './components/notifications.js';
import { attachSearchSuggestions } from './components/search-suggest.js';
import { isStaff, openReportCount } from './admin.js';
import { setFlash } from './flash.js';
import { svgIcon } from './icons.js';
import { popupPanel } from './popup-panel.js';
import { displayName, loadSession, onUserChange, setUser } from './session.js';
import { channelUrl, myVideosUrl, siteAnalyticsUrl, studioUrl, uploadUrl } from './urls.js';
import { canUpload } from './videos.js';

function isTypingTarget(element) {
  if (!element) return false;
  const tag = element.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || element.isContentEditable;
}

function initSearch() {
  const form = document.querySelector('.site-header .search');
  const input = form?.querySelector('input[name="query"]');
  if (!form || !input) return;
  attachSearchSuggestions(form, input);

  // Keep the query visible on the results page.
  if (location.pathname === '/search') {
    input.value = new URLSearchParams(location.search).get('query') ?? '';
  }

  form.addEventListener('submit', (event) => {
    if (input.value.trim() === '') {
      event.preventDefault();
      input.focus();
    }
  });

  // "/" jumps to search, as on most video sites.
  document.addEventListener('keydown', (event) => {
    if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTypingTarget(document.activeElement)) return;
    event.preventDefault();
    input.focus();
    input.select();
  });
}

async function logOut() {
  try {
    await api('/api/auth/logout', { method: 'POST' });
  } catch (error) {
    // 401: the session had already ended, which is what was asked for.
    if (error.status !== 401) {
      window.alert(error.message);
      return;
    }
  }
  setUser(null);
  setFlash('You have logged out.');
  location.assign('/');
}

// The avatar button and its menu (the WAI-ARIA menu button pattern): Enter, Space or
// ArrowDown open it on the first item, ArrowUp on the last; arrows, Home and End move;
// Escape closes and returns to the button; Tab or a click elsewhere closes it. The
// opening, closing and moving are popupPanel()'s, shared with the notifications bell.
function renderAccountMenu(user, signal) {
  const name = displayName(user);
  const button = h('button', {
    class: 'account-button', type: 'button', id: 'account-button',
    'aria-haspopup': 'menu', 'aria-expanded': 'false', 'aria-controls': 'account-menu',
    'aria-label': `Account menu for ${name}`,
  }, renderAvatar(user, { size: 'small' }));

  const item = (props, ...children) => h('li', { role: 'none' },
    h(props.href ? 'a' : 'button', { ...props, role: 'menuitem', tabindex: '-1', class: 'account-menu__item' },
      ...children));
  const list = h('ul', { class: 'account-menu__list', role: 'menu', 'aria-label': 'Account' },
    item({ href: channelUrl(user) }, 'Your channel'),
    canUpload(user) ? item({ href: uploadUrl }, 'Upload') : null,
    canUpload(user) ? item({ href: myVideosUrl }, 'My videos') : null,
    item({ href: studioUrl }, 'Studio'),
    item({ href: '/feed/subscriptions' }, 'Subscriptions'),
    isStaff(user) ? item({ href: '/admin' }, 'Admin') : null,
    item({ href: '/settings' }, 'Settings'),
    user.role === 'admin' ? item({ href: siteAnalyticsUrl }, 'Site analytics') : null,
    h('li', { role: 'separator', class: 'account-menu__separator' }),
    item({ type: 'button', on: { click: logOut } }, 'Log out'));
  const panel = h('div', { class: 'account-menu', id: 'account-menu', hidden: true },
    h('div', { class: 'account-menu__who' },
      renderAvatar(user, { size: 'medium' }),
      h('div', { class: 'account-menu__names' },
        h('p', { class: 'account-menu__name', text: name }),
        h('p', { class: 'account-menu__username', text: `@${user.username}` }))),
    list);

  const { open, close } = popupPanel({
    button, panel, items: () => Array.from(list.querySelectorAll('[role="menuitem"]')), signal,
  });
  button.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      open(0);
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      open(-1);
    }
  });
  panel.addEventListener('keydown', (event) => {
    if (event.key === 'Tab') {
      close(false);
    } else if (event.key === ' ' && document.activeElement?.tagName === 'A') {
      // Space activates links in a menu too.
      event.preventDefault();
      document.activeElement.click();
    }
  });

  return h('div', { class: 'account' }, button, panel);
}

// Creators get an upload button beside their avatar (the icon alone on phones).
function uploadButton() {
  return h('a', { class: 'button button--outline site-nav__upload', href: uploadUrl, 'aria-label': 'Upload a video', title: 'Upload a video' },
    svgIcon('M12 16V5m-5 5 5-5 5 5M5 19h14', { size: 20 }), h('span', { class: 'site-nav__upload-text', text: 'Upload' }));
}

// Moderators and admins get a link to the admin area, with the open reports counted on it.
function adminLink(signal) {
  const badge = h('span', { class: 'site-nav__badge', hidden: true, dataset: { testid: 'admin-link-badge' } });
  const link = h('a', {
    class: 'button button--outline site-nav__admin', href: '/admin', 'aria-label': 'Admin', title: 'Admin',
    dataset: { testid: 'admin-link' },
  }, svgIcon('M12 3 5 6v5c0 4.5 3 8.3 7 10 4-1.7 7-5.5 7-10V6z', { size: 20 }), h('span', { class: 'site-nav__admin-text', text: 'Admin' }), badge);
  if (location.pathname === '/admin' || location.pathname.startsWith('/admin/')) link.setAttribute('aria-current', 'page');
  const show = (count) => {
    badge.textContent = count > 99 ? '99+' : String(count);
    badge.hidden = count <= 0;
    link.setAttribute('aria-label', count > 0 ? `Admin, ${count > 99 ? 'more than 99' : count} open ${count === 1 ? 'report' : 'reports'}` : 'Admin');
  };
  openReportCount().then(show);
  // The reports page says when it closed some.
  document.addEventListener('monotube:reports-changed', (event) => show(Number(event.detail?.count) || 0), { signal });
  return link;
}

let menuListeners = null;

function showAccount(nav, signIn, user) {
  menuListeners?.abort();
  menuListeners = new AbortController();
  if (user) {
    replaceChildren(nav, isStaff(user) ? adminLink(menuListeners.signal) : null, canUpload(user) ? uploadButton() : null, notificationsBell({ signal: menuListeners.signal }).element,
      renderAccountMenu(user, menuListeners.signal));
  } else {
    replaceChildren(nav, signIn);
  }
  delete nav.dataset.session;
}

export function initHeader() {
  initSearch();
  const nav = document.querySelector('.site-header .site-nav');
  const signIn = nav?.querySelector('.site-nav__signin');
  if (!nav || !signIn) return;
  // Keep the link's place but hide it until the session is known, so signed-in people
  // do not see "Sign in" flash by.
  nav.dataset.session = 'loading';
  loadSession().then((user) => showAccount(nav, signIn, user));
  onUserChange((user) => showAccount(nav, signIn, user));
}
