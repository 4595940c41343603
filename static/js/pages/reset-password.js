// /reset-password#token=…: the link from the reset mail. The token travels in the
// fragment (never sent to servers or in Referer headers); it is taken out of the
// address bar at once so it does not stay in history or get shared by copy-paste.
import { api } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { field, formAlert, onSubmit, showMessage } from '../forms.js';
import { renderAuthPage, submitButton } from '../components/auth-layout.js';

export const name = 'reset-password';
export const title = 'Choose a new password';

function takeToken() {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  if (location.hash) history.replaceState(history.state, '', `${location.pathname}${location.search}`);
  return token;
}

function askForNewLink(main, text) {
  renderAuthPage(main, {
    title: 'This link doesn’t work',
    intro: text,
    body: h('div', { class: 'form__actions' },
      h('a', { class: 'button button--primary button--block', href: '/forgot-password', text: 'Get a new link' })),
    footer: h('p', {}, h('a', { href: '/login', text: 'Back to sign in' })),
  });
}

export function render(main) {
  const token = takeToken();
  if (!token) {
    askForNewLink(main, 'The reset link is incomplete. Open it again from the e-mail, or ask for a new one.');
    return;
  }

  const password = field({
    name: 'password', label: 'New password', type: 'password', autocomplete: 'new-password', required: true,
    maxlength: 128, hint: '10–128 characters, and not a commonly used password.',
  });
  const confirm = field({
    name: 'password_confirm', label: 'New password again', type: 'password', autocomplete: 'new-password',
    required: true, maxlength: 128,
  });
  const alert = formAlert();
  const submit = submitButton('Set new password');
  const form = h('form', { class: 'form', method: 'post', action: '/reset-password' },
    alert, password.element, confirm.element, h('div', { class: 'form__actions' }, submit));

  onSubmit(form, { alert, submit, fields: [password, confirm] }, async () => {
    if (password.input.value !== confirm.input.value) {
      confirm.setError('The two passwords are not the same.');
      confirm.input.focus();
      return null;
    }
    try {
      await api('/api/auth/reset-password/confirm', { method: 'POST', body: { token, password: password.input.value } });
    } catch (error) {
      if (error.code !== 'invalid_reset_token') throw error;
      showMessage(alert, `${error.message} `, h('a', { href: '/forgot-password', text: 'Ask for a new link' }));
      return null;
    }
    const card = main.querySelector('.auth__card');
    replaceChildren(card,
      h('img', { class: 'auth__mark', src: '/img/logo.svg', alt: '', width: 40, height: 40 }),
      h('h1', { class: 'auth__title', id: 'auth-title', tabindex: '-1', text: 'Your password has been changed' }),
      h('p', { class: 'auth__intro', role: 'status', text: 'You can now sign in with your new password.' }),
      h('div', { class: 'form__actions' }, h('a', { class: 'button button--primary button--block', href: '/login', text: 'Sign in' })));
    card.querySelector('h1').focus();
    return null;
  });

  renderAuthPage(main, {
    title: 'Choose a new password',
    intro: 'Pick a password you don’t use anywhere else.',
    body: form,
    footer: h('p', {}, h('a', { href: '/login', text: 'Back to sign in' })),
  });
  password.input.focus();
}
