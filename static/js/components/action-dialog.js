// The dialog the staff pages ask through before they act: what is about to happen, an
// optional choice (a select), a reason for the audit log, and for deletions the name of
// what is deleted typed again. The request runs from the dialog; its errors are shown
// in it (next to the field they name) and the dialog stays open. One <dialog> for the
// page, filled anew for each action; the focus goes back to the button that opened it.
import { h, replaceChildren } from '../dom.js';
import {
  field, formAlert, onSubmit, selectField,
} from '../forms.js';

let dialog = null;

function build() {
  const heading = h('h2', { class: 'dialog__title', id: 'action-dialog-title' });
  const text = h('div', { class: 'dialog__text action-dialog__text', id: 'action-dialog-text' });
  const slot = h('div', { class: 'action-dialog__fields' });
  const alert = formAlert();
  const confirm = h('button', { class: 'button button--primary', type: 'submit', dataset: { testid: 'action-confirm' } });
  const cancel = h('button', { class: 'button', type: 'button', text: 'Cancel', dataset: { testid: 'action-cancel' } });
  const form = h('form', { class: 'form', method: 'dialog' }, alert, text, slot,
    h('div', { class: 'form__actions dialog__actions' }, cancel, confirm));
  const element = h('dialog', {
    class: 'dialog action-dialog', 'aria-labelledby': 'action-dialog-title', 'aria-describedby': 'action-dialog-text',
    dataset: { testid: 'action-dialog' },
  }, heading, form);
  document.body.append(element);

  const state = { spec: null, fields: [], opener: null, focusAfter: null };
  cancel.addEventListener('click', () => element.close());
  // Back to the button that opened it, or to what run() named (the opener may be gone).
  element.addEventListener('close', () => {
    const target = [state.focusAfter, state.opener].find((e) => e?.isConnected);
    state.opener = null;
    state.focusAfter = null;
    target?.focus();
  });
  // fields is read when the form is submitted, so it can change from one opening to the next.
  const fieldsProxy = {
    get length() { return state.fields.length; },
    map: (fn) => state.fields.map(fn),
    [Symbol.iterator]: () => state.fields[Symbol.iterator](),
  };
  onSubmit(form, { alert, submit: confirm, fields: fieldsProxy }, async () => {
    const { spec } = state;
    const values = {};
    for (const f of state.fields) values[f.name] = f.input.value;
    if (spec.confirmText !== undefined && values.confirm_text.trim() !== spec.confirmText) {
      const confirmField = state.fields.find((f) => f.name === 'confirm_text');
      confirmField.setError(`Type ${spec.confirmText} to confirm.`);
      confirmField.input.focus();
      return null;
    }
    const reason = (values.reason ?? '').trim();
    if (spec.reasonRequired && reason === '') {
      const reasonField = state.fields.find((f) => f.name === 'reason');
      reasonField.setError('Say why, for the audit log.');
      reasonField.input.focus();
      return null;
    }
    const after = await spec.run({ ...values, reason });
    state.focusAfter = after instanceof Element ? after : null;
    element.close();
    return null;
  });

  return {
    element,
    open(spec, opener) {
      state.spec = spec;
      state.focusAfter = null;
      state.opener = opener ?? document.activeElement;
      heading.textContent = spec.title;
      replaceChildren(text, spec.text);
      confirm.textContent = spec.confirmLabel;
      confirm.className = `button button--${spec.variant ?? 'primary'}`;
      const fields = [];
      for (const choice of spec.choices ?? []) fields.push(selectField(choice));
      if (spec.reason !== false) {
        fields.push(field({
          name: 'reason', label: spec.reasonLabel ?? 'Reason', multiline: true, rows: 3, maxlength: 500,
          optional: !spec.reasonRequired, hint: spec.reasonHint ?? 'Recorded in the audit log with your name.',
        }));
      }
      if (spec.confirmText !== undefined) {
        fields.push(field({
          name: 'confirm_text', label: `Type ${spec.confirmText} to confirm`, autocomplete: 'off',
          spellcheck: false, autocapitalize: 'none',
        }));
      }
      state.fields = fields;
      replaceChildren(slot, fields.map((f) => f.element));
      replaceChildren(alert);
      element.showModal();
      (fields[0]?.input ?? cancel).focus();
    },
  };
}

// spec: {title, text (string or nodes), confirmLabel, variant ('primary' | 'danger'),
//        choices: [selectField specs], reason (false: no reason field), reasonRequired,
//        reasonLabel, reasonHint, confirmText (to type again), run({reason, ...choices})}.
// run() throws the ApiError to show; the dialog closes once it resolves, and the focus
// goes to the element run() resolves to, else back to the opener.
export function openActionDialog(spec, opener) {
  dialog ??= build();
  dialog.open(spec, opener);
}
