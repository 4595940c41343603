// One-line messages that survive a page load ("You have logged out."), kept in
// sessionStorage by the page that navigates and shown by the next one.
import { h } from './dom.js';

const key = 'monotube:flash';

export function setFlash(text) {
  try {
    sessionStorage.setItem(key, text);
  } catch {
    // Storage can be disabled; the message is a courtesy, the navigation still happens.
  }
}

// Shows a waiting message (if any) just above <main>, in a polite live region.
export function showFlash() {
  let text = null;
  try {
    text = sessionStorage.getItem(key);
    sessionStorage.removeItem(key);
  } catch {
    return;
  }
  if (!text) return;
  const main = document.getElementById('main');
  const banner = h('div', { class: 'flash', role: 'status' },
    h('p', { class: 'flash__text', text }),
    h('button', {
      class: 'flash__close', type: 'button', 'aria-label': 'Dismiss message',
      on: { click: () => banner.remove() },
    }, '×'));
  main.before(banner);
}
