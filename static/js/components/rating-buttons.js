// Like and dislike for a video, with their counts: toggle buttons (aria-pressed) in one
// group. Pressing the active one again takes the rating back. Visitors are asked to sign
// in. The counts come from the server's answer, so they are exact after every click.
import { h } from '../dom.js';
import { formatCount } from '../format.js';
import { icon } from '../icons.js';
import { rateVideo } from '../interactions.js';
import { currentUser } from '../session.js';
import { askToSignIn } from './sign-in-prompt.js';

export function ratingButtons(video) {
  let state = { rating: video.my_rating ?? null, likes: Number(video.likes) || 0, dislikes: Number(video.dislikes) || 0 };
  let busy = false;

  const button = (kind, label) => {
    const count = h('span', { class: 'rating__count', dataset: { testid: `${kind}-count` } });
    const element = h('button', {
      class: `rating__button rating__button--${kind}`, type: 'button', 'aria-pressed': 'false',
      dataset: { testid: `${kind}-button` },
    }, icon(kind), h('span', { class: 'visually-hidden', text: label }), count);
    return { element, count };
  };
  const like = button('like', 'Like');
  const dislike = button('dislike', 'Dislike');
  const error = h('p', { class: 'rating__error', role: 'alert', dataset: { testid: 'rating-error' } });

  const show = () => {
    like.count.textContent = formatCount(state.likes);
    dislike.count.textContent = formatCount(state.dislikes);
    like.element.setAttribute('aria-pressed', String(state.rating === 'like'));
    dislike.element.setAttribute('aria-pressed', String(state.rating === 'dislike'));
    like.element.title = state.rating === 'like' ? 'Take back your like' : 'I like this';
    dislike.element.title = state.rating === 'dislike' ? 'Take back your dislike' : 'I dislike this';
  };

  const rate = async (kind) => {
    if (!currentUser()) {
      askToSignIn(`Sign in to ${kind} videos and to let the creator know what you think.`);
      return;
    }
    if (busy) return;
    busy = true;
    error.textContent = '';
    for (const b of [like, dislike]) b.element.setAttribute('aria-busy', 'true');
    try {
      const answer = await rateVideo(video.id, state.rating === kind ? null : kind);
      state = { rating: answer.rating ?? null, likes: Number(answer.likes) || 0, dislikes: Number(answer.dislikes) || 0 };
      show();
    } catch (failure) {
      error.textContent = failure.message;
    } finally {
      busy = false;
      for (const b of [like, dislike]) b.element.removeAttribute('aria-busy');
    }
  };
  like.element.addEventListener('click', () => rate('like'));
  dislike.element.addEventListener('click', () => rate('dislike'));
  show();

  const element = h('div', { class: 'rating' },
    h('div', { class: 'rating__group', role: 'group', 'aria-label': 'Rate this video' }, like.element, dislike.element),
    error);
  return { element };
}
