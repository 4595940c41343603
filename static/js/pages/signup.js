// /signup: username, e-mail and password. The server signs the new account in at once.
// When the admins have closed sign-ups (GET /api/site), the page says so instead.
import { api } from '../api.js';
import { siteSettings } from '../admin.js';
import { h } from '../dom.js';
import { setFlash } from '../flash.js';
import { field, formAlert, navigate, onSubmit } from '../forms.js';
import { renderAuthPage, submitButton } from '../components/auth-layout.js';
import { displayName, loadSession } from '../session.js';
import { loginUrl, safeNext } from '../urls.js';

export const name = 'signup';
export const title = 'Create an account';

export async function render(main) {
  const next = safeNext();
  const [user, site] = await Promise.all([loadSession(), siteSettings()]);
  if (user) {
    navigate(next, { replace: true });
    return;
  }
  if (site && site.signup_open === false) {
    renderAuthPage(main, {
      title: 'Sign-ups are closed',
      intro: 'This monotube isn’t taking new accounts right now. Please try again later.',
      body: h('p', { class: 'auth__closed', dataset: { testid: 'signup-closed' }, text: 'If you already have an account, you can still sign in.' }),
      footer: h('p', {}, h('a', { class: 'button button--primary', href: loginUrl(next), text: 'Sign in' })),
    });
    return;
  }

  const username = field({
    name: 'username', label: 'Username', autocomplete: 'username', required: true, maxlength: 30,
    autocapitalize: 'none', spellcheck: false,
    hint: '3–30 characters: letters, digits, and _ . - . It is part of your channel’s name.',
  });
  const email = field({
    name: 'email', label: 'E-mail', type: 'email', autocomplete: 'email', required: true,
    hint: 'Used to reset your password. Never shown to others.',
  });
  const password = field({
    name: 'password', label: 'Password', type: 'password', autocomplete: 'new-password', required: true,
    maxlength: 128, hint: '10–128 characters, and not a commonly used password. A few random words work well.',
  });
  const alert = formAlert();
  const submit = submitButton('Create account');
  const form = h('form', { class: 'form', method: 'post', action: '/signup' },
    alert, username.element, email.element, password.element,
    h('div', { class: 'form__actions' }, submit));

  onSubmit(form, { alert, submit, fields: [username, email, password] }, async () => {
    const { user } = await api('/api/auth/signup', {
      method: 'POST',
      body: { username: username.input.value.trim(), email: email.input.value.trim(), password: password.input.value },
    });
    setFlash(`Welcome to monotube, ${displayName(user)}! Your account is ready.`);
    return navigate(next);
  });

  renderAuthPage(main, {
    title: 'Create your account',
    intro: 'to watch, comment, subscribe and upload',
    body: form,
    footer: h('p', {}, 'Already have an account? ', h('a', { href: loginUrl(next), text: 'Sign in' })),
  });
  username.input.focus();
}
