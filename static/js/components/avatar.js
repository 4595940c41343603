// A user's picture: their avatar image, or the first letter of their name on a colour
// picked from their id (so the same person always gets the same colour).
import { h } from '../dom.js';

const hues = [350, 20, 40, 150, 190, 215, 260, 290];

function hueFor(id) {
  let hash = 0;
  for (const char of String(id ?? '')) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  return hues[hash % hues.length];
}

// size: 'small' (32px), 'medium' (40px), 'large' (96px, channel and settings pages).
// alt: '' when the name is written next to it (the usual case), else the person's name.
export function renderAvatar(user, { size = 'medium', alt = '' } = {}) {
  const className = `avatar avatar--${size}`;
  const name = user?.display_name || user?.username || '?';
  if (user?.avatar_url) {
    return h('img', { class: className, src: user.avatar_url, alt, decoding: 'async' });
  }
  const letter = Array.from(name.trim())[0]?.toUpperCase() ?? '?';
  const element = h('span', { class: `${className} avatar--letter`, text: letter });
  if (alt) {
    element.setAttribute('role', 'img');
    element.setAttribute('aria-label', alt);
  } else {
    element.setAttribute('aria-hidden', 'true');
  }
  // A CSSOM property, which the CSP allows (unlike a style attribute).
  element.style.setProperty('--avatar-hue', String(hueFor(user?.id)));
  return element;
}
