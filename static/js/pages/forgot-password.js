// /forgot-password: asks for the account's e-mail and sends a reset link. The answer is
// the same whether or not the address belongs to an account.
import { api } from '../api.js';
import { h } from '../dom.js';
import { field, formAlert, formStatus, onSubmit } from '../forms.js';
import { renderAuthPage, submitButton } from '../components/auth-layout.js';

export const name = 'forgot-password';
export const title = 'Reset your password';

export function render(main) {
  const email = field({ name: 'email', label: 'E-mail', type: 'email', autocomplete: 'email', required: true });
  const alert = formAlert();
  const status = formStatus();
  const submit = submitButton('Send reset link');
  const form = h('form', { class: 'form', method: 'post', action: '/forgot-password' },
    alert, email.element, h('div', { class: 'form__actions' }, submit), status);

  onSubmit(form, { alert, status, submit, fields: [email] }, async () => {
    await api('/api/auth/reset-password', { method: 'POST', body: { email: email.input.value.trim() } });
    return 'If an account uses that address, a reset link is on its way. Check your inbox (and the spam folder).';
  });

  renderAuthPage(main, {
    title: 'Reset your password',
    intro: 'Enter the e-mail address of your account and we will send you a link to choose a new password.',
    body: form,
    footer: h('p', {}, h('a', { href: '/login', text: 'Back to sign in' })),
  });
  email.input.focus();
}
