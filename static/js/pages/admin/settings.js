// /admin/settings (admins): the site's settings — whether sign-ups are open, the role new
// accounts get, the largest upload, and the storage each user may fill (0: unlimited).
// Sizes are entered and shown in MiB or GiB; the largest upload can go up to the
// ceiling the operator set in the config file. Only what changed is sent, with an
// optional reason for the audit log; the server's refusals appear next to their field.
import { ApiError } from '../../api.js';
import { h, replaceChildren } from '../../dom.js';
import {
  checkboxField, field, formAlert, formStatus, onSubmit, selectField, showMessage,
} from '../../forms.js';
import { adminApi, roleLabel } from '../../admin.js';
import { adminFrame } from '../../components/admin-layout.js';
import { formatDateTime } from '../../format.js';

export const name = 'admin-settings';
export const title = 'Settings · Admin';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const units = [
  { value: String(MiB), label: 'MiB' },
  { value: String(GiB), label: 'GiB' },
];

// 8589934592 -> {amount: "8", unit: GiB}; 1572864 -> {amount: "1.5", unit: MiB}
export function splitBytes(bytes) {
  const value = Number(bytes) || 0;
  const unit = value >= GiB && value % (GiB / 1024) === 0 ? GiB : MiB;
  const amount = Math.round((value / unit) * 1000) / 1000;
  return { amount: String(amount), unit };
}

// "1.5", MiB -> 1572864; null when the text is no number of at least 0.
export function joinBytes(text, unit) {
  const trimmed = String(text).trim().replace(',', '.');
  if (!/^\d+(\.\d+)?$/.test(trimmed)) return null;
  return Math.round(Number(trimmed) * unit);
}

const sizeText = (bytes) => {
  const { amount, unit } = splitBytes(bytes);
  return `${amount} ${unit === GiB ? 'GiB' : 'MiB'}`;
};

// A number with a MiB/GiB select; the same shape as the fields of forms.js.
function sizeField({ name, label, hint }) {
  const amount = field({ name, label, inputmode: 'decimal', hint, autocomplete: 'off' });
  amount.input.classList.add('size-field__amount');
  const unit = selectField({ name: `${name}_unit`, label: `${label}, unit`, options: units });
  unit.input.classList.add('size-field__unit');
  const unitLabel = unit.element.querySelector('label');
  unitLabel.classList.add('visually-hidden');
  // The number and the unit side by side, under the one label; the hint and error below.
  const row = h('div', { class: 'size-field__row' }, amount.input, unit.input);
  amount.element.insertBefore(row, amount.element.querySelector('.field__hint') ?? amount.element.querySelector('.field__error'));
  amount.element.append(unitLabel);
  amount.element.classList.add('size-field');
  return {
    ...amount,
    unit: unit.input,
    set(bytes) {
      const parts = splitBytes(bytes);
      amount.input.value = parts.amount;
      unit.input.value = String(parts.unit);
    },
    bytes: () => joinBytes(amount.input.value, Number(unit.input.value)),
  };
}

export async function render(main) {
  const frame = await adminFrame(main, {
    section: 'settings', heading: 'Site settings', intro: 'Who can join, and how much they can upload.',
  });
  if (!frame) return;

  const signupOpen = checkboxField({ name: 'signup_open', label: 'Anyone can create an account (sign-ups are open)' });
  signupOpen.input.dataset.testid = 'setting-signup-open';
  const defaultRole = selectField({
    name: 'default_role', label: 'Role of new accounts',
    options: ['viewer', 'creator'].map((value) => ({ value, label: roleLabel(value) })),
    hint: 'Viewers watch, comment and subscribe; creators can upload videos too.',
  });
  defaultRole.input.dataset.testid = 'setting-default-role';
  const maxUpload = sizeField({ name: 'max_upload_bytes', label: 'Largest upload', hint: 'The largest file one upload may be.' });
  maxUpload.input.dataset.testid = 'setting-max-upload';
  const quota = sizeField({
    name: 'user_quota_bytes', label: 'Storage per user',
    hint: 'How much each account may store in all. 0 means unlimited; otherwise between 1 MiB and 1 PiB (1,048,576 GiB).',
  });
  quota.input.dataset.testid = 'setting-quota';
  const reason = field({
    name: 'reason', label: 'Reason', multiline: true, rows: 2, maxlength: 500, optional: true,
    hint: 'Recorded in the audit log with your name.',
  });
  const alert = formAlert();
  const status = formStatus();
  status.dataset.testid = 'settings-status';
  const submit = h('button', { class: 'button button--primary', type: 'submit', text: 'Save settings', dataset: { testid: 'settings-save' } });
  const changedBy = h('p', { class: 'admin__note', dataset: { testid: 'settings-changed-by' } });
  const fields = [signupOpen, defaultRole, maxUpload, quota, reason];
  const form = h('form', { class: 'form admin-settings', method: 'post', action: '/admin/settings', dataset: { testid: 'settings-form' } },
    alert,
    h('fieldset', { class: 'admin-settings__group' },
      h('legend', { class: 'admin-settings__legend', text: 'Accounts' }),
      signupOpen.element, defaultRole.element),
    h('fieldset', { class: 'admin-settings__group' },
      h('legend', { class: 'admin-settings__legend', text: 'Uploads and storage' }),
      maxUpload.element, quota.element),
    reason.element,
    h('div', { class: 'form__actions' }, submit),
    status,
    changedBy);

  let saved = null;
  const hint = maxUpload.element.querySelector('.field__hint');
  const show = (answer) => {
    saved = answer.settings;
    signupOpen.input.checked = Boolean(saved.signup_open);
    defaultRole.input.value = saved.default_role;
    maxUpload.set(saved.max_upload_bytes);
    quota.set(saved.user_quota_bytes);
    const limits = answer.limits ?? {};
    const ceiling = Number(limits.max_upload_bytes) || 0;
    const floor = Number(limits.min_upload_bytes) || MiB;
    if (hint) {
      hint.textContent = ceiling
        ? `The largest file one upload may be: between ${sizeText(floor)} and ${sizeText(ceiling)} (the ceiling set in the server’s config file).`
        : 'The largest file one upload may be.';
    }
    if (answer.updated_at && answer.updated_by) {
      replaceChildren(changedBy, 'Last changed by ', h('strong', { text: `@${answer.updated_by.username}` }),
        ` on ${formatDateTime(typeof answer.updated_at === 'number' ? new Date(answer.updated_at).toISOString() : answer.updated_at)}.`);
    } else if (answer.updated_at) {
      changedBy.textContent = `Last changed on ${formatDateTime(typeof answer.updated_at === 'number' ? new Date(answer.updated_at).toISOString() : answer.updated_at)}.`;
    } else {
      changedBy.textContent = 'Nobody has changed these settings here yet: they are the server’s defaults.';
    }
  };

  onSubmit(form, { alert, status, submit, fields }, async () => {
    const changes = {};
    if (signupOpen.input.checked !== saved.signup_open) changes.signup_open = signupOpen.input.checked;
    if (defaultRole.input.value !== saved.default_role) changes.default_role = defaultRole.input.value;
    let invalid = null;
    for (const size of [maxUpload, quota]) {
      const bytes = size.bytes();
      if (bytes === null) {
        size.setError('Enter a number, like 512 or 1.5.');
        invalid ??= size;
      } else if (bytes !== Number(saved[size.name])) {
        changes[size.name] = bytes;
      }
    }
    if (invalid) {
      invalid.input.focus();
      return null;
    }
    if (Object.keys(changes).length === 0) return 'Nothing to save: the settings are as they were.';
    const text = reason.input.value.trim();
    if (text) changes.reason = text;
    try {
      show(await adminApi.saveSettings(changes));
    } catch (error) {
      // invalid_setting names its field: in error.fields, or else in the message.
      if (error instanceof ApiError && Object.keys(error.fields ?? {}).length === 0) {
        const named = fields.find((f) => f.name !== 'reason' && error.message.includes(f.name));
        if (named) {
          named.setError(error.message);
          named.input.focus();
          return null;
        }
      }
      throw error;
    }
    reason.input.value = '';
    const list = Object.keys(changes).filter((key) => key !== 'reason');
    const words = {
      signup_open: () => (changes.signup_open ? 'sign-ups are open' : 'sign-ups are closed'),
      default_role: () => `new accounts are ${roleLabel(changes.default_role).toLowerCase()}s`,
      max_upload_bytes: () => `uploads up to ${sizeText(changes.max_upload_bytes)}`,
      user_quota_bytes: () => (changes.user_quota_bytes === 0
        ? 'unlimited storage per user' : `${sizeText(changes.user_quota_bytes)} of storage per user`),
    };
    return `Saved: ${list.map((key) => words[key]()).join(', ')}.`;
  });

  const loading = h('p', { class: 'admin__note', text: 'Loading the settings…' });
  replaceChildren(frame.body, loading);
  try {
    show(await adminApi.settings());
    replaceChildren(frame.body, form);
  } catch (error) {
    replaceChildren(frame.body, h('div', { class: 'notice notice--error', role: 'alert' },
      h('p', { text: `The settings could not be loaded. ${error.message}` })));
    return;
  }
  showMessage(status);
}
