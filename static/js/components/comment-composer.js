// The box comments are written in — for a new comment, a reply, or an edit: a labelled
// textarea that grows with its text, a character counter (at most 2000 characters, as
// the server counts them: code points), Cancel and a submit button, and the server's
// error in plain words. Ctrl/⌘+Enter sends, Escape cancels (when there is a Cancel).
import { h } from '../dom.js';

export const maxCommentLength = 2000;

let nextId = 0;

const lengthOf = (text) => Array.from(text).length;

// onSubmit(text) returns a promise; the box stays busy until it settles and shows what
// it throws. onCancel: when given, Cancel is always shown and Escape cancels; else Cancel
// only clears a box that has text.
export function commentComposer({
  label, placeholder = '', submitLabel = 'Comment', initial = '', onSubmit, onCancel = null, testid = 'comment-composer',
}) {
  const id = `comment-input-${++nextId}`;
  const counterId = `${id}-counter`;
  const errorId = `${id}-error`;
  const textarea = h('textarea', {
    class: 'composer__input', id, name: 'content', rows: '1', placeholder, autocomplete: 'off',
    'aria-describedby': counterId, dataset: { testid: 'comment-input' },
  });
  textarea.value = initial;
  const counter = h('span', { class: 'composer__counter', id: counterId });
  const submit = h('button', {
    class: 'button button--primary button--small', type: 'submit', text: submitLabel, dataset: { testid: 'comment-submit' },
  });
  const cancel = h('button', { class: 'button button--small composer__cancel', type: 'button', text: 'Cancel' });
  const error = h('p', { class: 'composer__error', id: errorId, role: 'alert' });
  const form = h('form', { class: 'composer', dataset: { testid } },
    h('label', { class: 'visually-hidden', for: id, text: label }),
    textarea,
    h('div', { class: 'composer__footer' },
      counter,
      h('div', { class: 'composer__buttons' }, cancel, submit)),
    error);
  form.noValidate = true;
  let busy = false;

  const update = () => {
    const length = lengthOf(textarea.value);
    const over = length > maxCommentLength;
    counter.textContent = over
      ? `${length} / ${maxCommentLength} — ${length - maxCommentLength} too many`
      : `${length} / ${maxCommentLength}`;
    counter.classList.toggle('composer__counter--over', over);
    if (over) textarea.setAttribute('aria-invalid', 'true');
    else textarea.removeAttribute('aria-invalid');
    submit.disabled = busy || over || textarea.value.trim() === '' || (initial !== '' && textarea.value === initial);
    cancel.hidden = !onCancel && textarea.value === '';
  };

  const clearError = () => {
    error.textContent = '';
    textarea.setAttribute('aria-describedby', counterId);
  };

  textarea.addEventListener('input', () => {
    clearError();
    update();
  });
  textarea.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    } else if (event.key === 'Escape' && onCancel) {
      event.preventDefault();
      onCancel();
    }
  });
  cancel.addEventListener('click', () => {
    if (onCancel) {
      onCancel();
      return;
    }
    textarea.value = '';
    clearError();
    update();
    textarea.focus();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy || submit.disabled) return;
    busy = true;
    clearError();
    update();
    form.setAttribute('aria-busy', 'true');
    try {
      await onSubmit(textarea.value);
      if (!onCancel) textarea.value = '';
    } catch (failure) {
      error.textContent = failure.message ?? 'Something went wrong. Please try again.';
      textarea.setAttribute('aria-describedby', `${counterId} ${errorId}`);
      textarea.focus();
    } finally {
      busy = false;
      form.removeAttribute('aria-busy');
      update();
    }
  });
  update();

  return {
    element: form,
    textarea,
    focus() {
      textarea.focus();
      textarea.setSelectionRange(textarea.value.length, textarea.value.length);
    },
  };
}
