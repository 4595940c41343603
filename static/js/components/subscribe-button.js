// The Subscribe / Subscribed toggle of a channel (aria-pressed), for the watch and
// channel pages. Visitors are asked to sign in. onChange({subscribed, subscriber_count})
// hands the server's answer to the page, which shows the count where it belongs.
import { h } from '../dom.js';
import { icon } from '../icons.js';
import { setSubscribed } from '../interactions.js';
import { currentUser, displayName } from '../session.js';
import { askToSignIn } from './sign-in-prompt.js';

export function subscribeButton(channel, { subscribed = false, onChange = () => {} } = {}) {
  let state = Boolean(subscribed);
  let busy = false;
  const label = h('span', { class: 'subscribe__label' });
  const button = h('button', {
    class: 'button subscribe__button', type: 'button', 'aria-pressed': 'false', dataset: { testid: 'subscribe-button' },
  });
  const error = h('p', { class: 'subscribe__error', role: 'alert' });
  const name = displayName(channel);

  const show = () => {
    button.replaceChildren(...(state ? [icon('check', { size: 18 })] : []), label);
    label.textContent = state ? 'Subscribed' : 'Subscribe';
    button.setAttribute('aria-pressed', String(state));
    button.classList.toggle('button--primary', !state);
    button.title = state ? `Unsubscribe from ${name}` : `Subscribe to ${name}`;
  };

  button.addEventListener('click', async () => {
    if (!currentUser()) {
      askToSignIn(`Sign in to subscribe to ${name} and hear about their new videos.`);
      return;
    }
    if (busy) return;
    busy = true;
    button.setAttribute('aria-busy', 'true');
    error.textContent = '';
    try {
      const answer = await setSubscribed(channel.id, !state);
      state = Boolean(answer.subscribed);
      show();
      onChange(answer);
    } catch (failure) {
      error.textContent = failure.message;
    } finally {
      busy = false;
      button.removeAttribute('aria-busy');
    }
  });
  show();

  return {
    element: h('div', { class: 'subscribe' }, button, error),
    button,
    set(next) {
      state = Boolean(next);
      show();
    },
  };
}
