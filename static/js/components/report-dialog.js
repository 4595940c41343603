// Reporting a video or a comment to the moderators: a Report button that opens a dialog
// with the kind of problem and a few words about it. After sending, the dialog thanks
// the person (or says they had reported it already: one report per person and target).
// Visitors are asked to sign in first; nobody gets the button for their own content
// (the caller leaves it out). One dialog for the page, made on first use.
import { ApiError } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import {
  field, formAlert, onSubmit, selectField,
} from '../forms.js';
import { fileReport, reportCategories } from '../admin.js';
import { icon } from '../icons.js';
import { currentUser } from '../session.js';
import { askToSignIn } from './sign-in-prompt.js';

let dialog = null;
// Targets reported from this page: the dialog opens on "already reported" for them.
const reported = new Set();

function build() {
  const heading = h('h2', { class: 'dialog__title', id: 'report-dialog-title' });
  const intro = h('p', { class: 'dialog__text report-dialog__intro', id: 'report-dialog-intro' });
  const category = selectField({
    name: 'category', label: 'What is wrong?',
    options: [{ value: '', label: 'Choose one…' }, ...reportCategories],
  });
  category.input.dataset.testid = 'report-category';
  category.input.required = true;
  category.input.addEventListener('change', () => category.clearError());
  const text = field({
    name: 'text', label: 'Tell us more', multiline: true, rows: 4, maxlength: 1000, optional: true,
    hint: 'Up to 1000 characters. Needed when you choose “Something else”.',
  });
  text.input.dataset.testid = 'report-text';
  const alert = formAlert();
  const send = h('button', { class: 'button button--primary', type: 'submit', text: 'Send report', dataset: { testid: 'report-send' } });
  const cancel = h('button', { class: 'button', type: 'button', text: 'Cancel' });
  const form = h('form', { class: 'form', method: 'dialog' }, alert, intro, category.element, text.element,
    h('div', { class: 'form__actions dialog__actions' }, cancel, send));

  // What is shown once the report is in (or was already).
  const doneText = h('p', { class: 'dialog__text', dataset: { testid: 'report-done-text' } });
  const close = h('button', { class: 'button button--primary', type: 'button', text: 'Close' });
  const done = h('div', { class: 'report-dialog__done', role: 'status', hidden: true, dataset: { testid: 'report-done' } },
    h('p', { class: 'report-dialog__check' }, icon('check', { size: 28 })),
    doneText,
    h('div', { class: 'form__actions dialog__actions' }, close));

  const element = h('dialog', {
    class: 'dialog dialog--small report-dialog', 'aria-labelledby': 'report-dialog-title',
    dataset: { testid: 'report-dialog' },
  }, heading, form, done);
  document.body.append(element);

  const state = { target: null, opener: null };
  cancel.addEventListener('click', () => element.close());
  close.addEventListener('click', () => element.close());
  element.addEventListener('close', () => {
    if (state.opener?.isConnected) state.opener.focus();
    state.opener = null;
  });

  const showDone = (message, testState) => {
    form.hidden = true;
    done.hidden = false;
    done.dataset.state = testState;
    doneText.textContent = message;
    close.focus();
  };

  onSubmit(form, { alert, submit: send, fields: [category, text] }, async () => {
    if (category.input.value === '') {
      category.setError('Choose what is wrong.');
      category.input.focus();
      return null;
    }
    try {
      await fileReport(state.target, { category: category.input.value, text: text.input.value.trim() });
    } catch (error) {
      if (error instanceof ApiError && error.code === 'already_reported') {
        reported.add(`${state.target.type}:${state.target.id}`);
        showDone(alreadyText(state.target), 'already');
        return null;
      }
      throw error;
    }
    reported.add(`${state.target.type}:${state.target.id}`);
    showDone('Thank you. The moderators will look at it; the person who posted it is not told who reported it.', 'sent');
    return null;
  });

  const alreadyText = (target) => `You have already reported this ${target.type}. The moderators will look at it.`;

  return {
    open(target, opener) {
      state.target = target;
      state.opener = opener;
      heading.textContent = target.type === 'video' ? 'Report this video' : 'Report this comment';
      intro.textContent = target.type === 'video'
        ? 'Does this video break the site’s rules? Tell the moderators what is wrong.'
        : 'Does this comment break the site’s rules? Tell the moderators what is wrong.';
      category.input.value = '';
      text.input.value = '';
      category.clearError();
      text.clearError();
      replaceChildren(alert);
      element.showModal();
      if (reported.has(`${target.type}:${target.id}`)) {
        showDone(alreadyText(target), 'already');
      } else {
        form.hidden = false;
        done.hidden = true;
        category.input.focus();
      }
    },
  };
}

// target: {type: 'video' | 'comment', id}. Returns the button.
export function reportButton(target, {
  className = 'button button--outline', label = 'Report', compact = false, ariaLabel = null,
} = {}) {
  const what = target.type === 'video' ? 'this video' : 'this comment';
  const button = h('button', {
    class: `${className} report-button`, type: 'button', 'aria-label': ariaLabel ?? `Report ${what}`,
    'aria-haspopup': 'dialog', dataset: { testid: target.type === 'video' ? 'report-video' : 'report-comment' },
  }, compact ? null : icon('flag', { size: 18 }), label);
  button.addEventListener('click', () => {
    if (!currentUser()) {
      askToSignIn(`Sign in to report ${what} to the moderators.`);
      return;
    }
    dialog ??= build();
    dialog.open(target, button);
  });
  return button;
}
