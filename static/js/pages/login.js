// /login: username or e-mail and password. Afterwards people go back to where ?next=
// points (a path on this site), or home.
import { api } from '../api.js';
import { h } from '../dom.js';
import { field, formAlert, navigate, onSubmit } from '../forms.js';
import { renderAuthPage, submitButton } from '../components/auth-layout.js';
import { loadSession } from '../session.js';
import { safeNext, signupUrl } from '../urls.js';

export const name = 'login';
export const title = 'Sign in';

export async function render(main) {
  const next = safeNext();
  // Already signed in: nothing to do here.
  if (await loadSession()) {
    navigate(next, { replace: true });
    return;
  }

  const login = field({
    name: 'login', label: 'Username or e-mail', autocomplete: 'username', required: true,
    autocapitalize: 'none', spellcheck: false,
  });
  const password = field({ name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', required: true });
  const alert = formAlert();
  const submit = submitButton('Sign in');
  const form = h('form', { class: 'form', method: 'post', action: '/login' },
    alert,
    login.element,
    password.element,
    h('p', { class: 'form__aside' }, h('a', { href: '/forgot-password', text: 'Forgot password?' })),
    h('div', { class: 'form__actions' }, submit));

  onSubmit(form, { alert, submit, fields: [login, password] }, async () => {
    await api('/api/auth/login', { method: 'POST', body: { login: login.input.value.trim(), password: password.input.value } });
    return navigate(next);
  });

  renderAuthPage(main, {
    title: 'Sign in',
    intro: 'to continue to monotube',
    body: form,
    footer: h('p', {}, 'New here? ', h('a', { href: signupUrl(next), text: 'Create an account' })),
  });
  login.input.focus();
}
