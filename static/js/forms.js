// Form building blocks shared by the account pages: labelled fields with a hint and an
// error line, a role="alert" region for errors that belong to no field, a polite status
// line for successes, and onSubmit() that runs a request with the button disabled and
// spreads the server's {"error": {"fields": {...}}} over the matching inputs.
import { ApiError } from './api.js';
import { h, replaceChildren } from './dom.js';

let nextId = 0;

// What a submit handler returns when it has started a navigation: the form stays busy.
export const NAVIGATING = Symbol('navigating');

export function navigate(url, { replace = false } = {}) {
  if (replace) location.replace(url);
  else location.assign(url);
  return NAVIGATING;
}

// spec: {name, label, type='text', hint, value, autocomplete, required, multiline, rows,
//        maxlength, inputmode, spellcheck, autocapitalize, accept, optional (shown in the label)}
// Returns {element, input, name, setError(message), clearError()}.
export function field(spec) {
  const id = `field-${spec.name}-${++nextId}`;
  const hintId = spec.hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const type = spec.type ?? 'text';
  const attributes = {
    id,
    name: spec.name,
    class: 'field__input',
    autocomplete: spec.autocomplete ?? 'off',
    required: spec.required,
    maxlength: spec.maxlength,
    inputmode: spec.inputmode,
    spellcheck: spec.spellcheck === undefined ? undefined : String(spec.spellcheck),
    autocapitalize: spec.autocapitalize,
    accept: spec.accept,
    'aria-describedby': hintId,
  };
  const input = spec.multiline
    ? h('textarea', { ...attributes, rows: spec.rows ?? 4 })
    : h('input', { ...attributes, type });
  if (spec.value !== undefined) input.value = spec.value;

  const error = h('p', { class: 'field__error', id: errorId, hidden: true });
  let control = input;
  if (type === 'password') {
    const toggle = h('button', {
      class: 'field__reveal', type: 'button', 'aria-controls': id, text: 'Show',
      on: {
        click: () => {
          const showing = input.type === 'text';
          input.type = showing ? 'password' : 'text';
          toggle.textContent = showing ? 'Show' : 'Hide';
        },
      },
    });
    control = h('div', { class: 'field__password' }, input, toggle);
  }

  const element = h('div', { class: 'field' },
    h('label', { class: 'field__label', for: id },
      spec.label,
      spec.optional ? h('span', { class: 'field__optional', text: ' (optional)' }) : null),
    control,
    spec.hint ? h('p', { class: 'field__hint', id: hintId, text: spec.hint }) : null,
    error);

  return {
    element,
    input,
    name: spec.name,
    setError(message) {
      error.textContent = message;
      error.hidden = false;
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', [errorId, hintId].filter(Boolean).join(' '));
    },
    clearError() {
      error.textContent = '';
      error.hidden = true;
      input.removeAttribute('aria-invalid');
      if (hintId) input.setAttribute('aria-describedby', hintId);
      else input.removeAttribute('aria-describedby');
    },
  };
}

// Errors that belong to no single field. Present (empty) from the start so screen
// readers announce what is put in it.
export function formAlert() {
  return h('div', { class: 'form-alert', role: 'alert' });
}

// Successes, announced politely.
export function formStatus() {
  return h('p', { class: 'form-status', role: 'status' });
}

export function showMessage(region, ...children) {
  replaceChildren(region, ...children);
}

// The words for an ApiError that no field claims.
export function errorText(error) {
  if (error.status === 429 && error.retryAfter) {
    const seconds = error.retryAfter;
    const wait = seconds < 90 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`;
    return `${error.message} You can try again in ${wait}.`;
  }
  return error.message;
}

// Shows error.fields next to the matching fields (and focuses the first); whatever no
// field claims goes to the alert region. Returns true when some field took an error.
export function showApiError(error, { alert, fields = [] }) {
  const byName = new Map(fields.map((f) => [f.name, f]));
  let first = null;
  let unclaimed = false;
  for (const [name, detail] of Object.entries(error.fields ?? {})) {
    const target = byName.get(name);
    if (!target || target.element.hidden || target.element.closest('[hidden]')) {
      unclaimed = true;
      continue;
    }
    target.setError(detail?.message ?? error.message);
    first ??= target;
  }
  if (!first || unclaimed) showMessage(alert, errorText(error));
  first?.input.focus();
  return Boolean(first);
}

// Runs handler() when the form is submitted: clears old messages, disables the submit
// button while it runs, and shows what it throws. handler may return a success message
// for the status region (or nothing, e.g. when it navigates away).
export function onSubmit(form, { alert, status, submit, fields = [] }, handler) {
  let running = false;
  form.noValidate = true; // the server's messages are the ones people see
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (running) return;
    running = true;
    for (const f of fields) f.clearError();
    showMessage(alert);
    if (status) showMessage(status);
    if (submit) submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    let navigating = false;
    try {
      const message = await handler();
      navigating = message === NAVIGATING;
      if (message && !navigating && status) showMessage(status, message);
    } catch (error) {
      if (error instanceof ApiError) {
        showApiError(error, { alert, fields });
      } else {
        console.error('monotube: the form failed', error);
        showMessage(alert, 'Something went wrong on this page. Reload it and try again.');
      }
    } finally {
      if (!navigating) {
        running = false;
        if (submit) submit.disabled = false;
        form.removeAttribute('aria-busy');
      }
    }
  });
}

// A drop-down list; same shape as field(). options: [{value, label}].
export function selectField({ name, label, options, value, hint }) {
  const id = `field-${name}-${++nextId}`;
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const input = h('select', { id, name, class: 'field__input field__select', 'aria-describedby': hintId },
    options.map((option) => h('option', { value: option.value, text: option.label })));
  if (value !== undefined) input.value = value;
  const hintElement = hint ? h('p', { class: 'field__hint', id: hintId, text: hint }) : null;
  const error = h('p', { class: 'field__error', id: errorId, hidden: true });
  const element = h('div', { class: 'field' },
    h('label', { class: 'field__label', for: id, text: label }), input, hintElement, error);
  return {
    element,
    input,
    name,
    hintElement,
    setError(message) {
      error.textContent = message;
      error.hidden = false;
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', [errorId, hintId].filter(Boolean).join(' '));
    },
    clearError() {
      error.textContent = '';
      error.hidden = true;
      input.removeAttribute('aria-invalid');
      if (hintId) input.setAttribute('aria-describedby', hintId);
      else input.removeAttribute('aria-describedby');
    },
  };
}

// A checkbox with its label on the right; same shape as field().
export function checkboxField({ name, label }) {
  const id = `field-${name}-${++nextId}`;
  const errorId = `${id}-error`;
  const input = h('input', { class: 'checkbox__input', type: 'checkbox', id, name });
  const error = h('p', { class: 'field__error', id: errorId, hidden: true });
  const element = h('div', { class: 'field field--checkbox' },
    h('div', { class: 'checkbox' }, input, h('label', { class: 'checkbox__label', for: id, text: label })),
    error);
  return {
    element,
    input,
    name,
    setError(message) {
      error.textContent = message;
      error.hidden = false;
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', errorId);
    },
    clearError() {
      error.textContent = '';
      error.hidden = true;
      input.removeAttribute('aria-invalid');
      input.removeAttribute('aria-describedby');
    },
  };
}
