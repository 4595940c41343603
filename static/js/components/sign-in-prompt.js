// What a visitor sees when they try something that needs an account (like, subscribe,
// reply): a small dialog saying why, with "Sign in" and "Create account" links that
// come back to this page afterwards. One dialog for the whole page, made on first use.
import { h } from '../dom.js';
import { loginUrl, signupUrl } from '../urls.js';

let dialog = null;
let text = null;

function build() {
  const here = `${location.pathname}${location.search}`;
  text = h('p', { class: 'dialog__text', id: 'sign-in-prompt-text' });
  const cancel = h('button', { class: 'button', type: 'button', text: 'Cancel', on: { click: () => dialog.close() } });
  dialog = h('dialog', {
    class: 'dialog dialog--small', 'aria-labelledby': 'sign-in-prompt-title', 'aria-describedby': 'sign-in-prompt-text',
    dataset: { testid: 'sign-in-prompt' },
  },
  h('h2', { class: 'dialog__title', id: 'sign-in-prompt-title', text: 'Sign in to continue' }),
  text,
  h('div', { class: 'form__actions dialog__actions sign-in-prompt__actions' },
    cancel,
    h('a', { class: 'button button--outline', href: signupUrl(here), text: 'Create account' }),
    h('a', { class: 'button button--primary', href: loginUrl(here), text: 'Sign in' })));
  // A click on the backdrop (outside the dialog's box) closes it too.
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog) {
      const box = dialog.getBoundingClientRect();
      const inside = event.clientX >= box.left && event.clientX <= box.right && event.clientY >= box.top && event.clientY <= box.bottom;
      if (!inside) dialog.close();
    }
  });
  document.body.append(dialog);
}

// message: why an account is needed, e.g. "Sign in to like videos."
export function askToSignIn(message) {
  if (!dialog) build();
  text.textContent = message;
  dialog.showModal();
  dialog.querySelector('.button--primary')?.focus();
}
