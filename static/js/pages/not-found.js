// Shown for any path no page claims (the server sent this shell with status 404).
import { h, replaceChildren } from '../dom.js';

export const name = 'not-found';
export const title = 'Page not found';

export function render(main) {
  const robots = h('meta', { name: 'robots', content: 'noindex' });
  document.head.append(robots);
  replaceChildren(main,
    h('section', { class: 'error-page', 'aria-labelledby': 'error-title' },
      h('p', { class: 'error-page__code', 'aria-hidden': 'true', text: '404' }),
      h('h1', { class: 'error-page__title', id: 'error-title', text: 'This page isn’t here' }),
      h('p', {
        class: 'error-page__text',
        text: 'The link may be broken, or the page may have been removed. Try searching for what you were looking for.',
      }),
      h('div', { class: 'error-page__actions' },
        h('a', { class: 'button button--primary', href: '/', text: 'Go to the home page' }))));
}
