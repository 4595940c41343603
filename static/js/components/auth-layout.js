// The frame of the sign-in, sign-up and password pages: one centred card with a title,
// a line of introduction, the form, and links underneath.
import { h, replaceChildren } from '../dom.js';

export function renderAuthPage(main, { title, intro, body, footer }) {
  replaceChildren(main,
    h('section', { class: 'auth', 'aria-labelledby': 'auth-title' },
      h('div', { class: 'auth__card' },
        h('img', { class: 'auth__mark', src: '/img/logo.svg', alt: '', width: 40, height: 40 }),
        h('h1', { class: 'auth__title', id: 'auth-title', text: title }),
        intro ? h('p', { class: 'auth__intro' }, intro) : null,
        body),
      footer ? h('div', { class: 'auth__footer' }, footer) : null));
}

export function submitButton(label) {
  return h('button', { class: 'button button--primary button--block', type: 'submit', text: label });
}
