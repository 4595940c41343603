// /admin/audit: the audit log, read-only — who did what, on what, when and why, newest
// first, a page at a time. Filters: the action, the kind of target, and (from a row's
// links) one actor or one target. Details are shown as words ("Creator → Moderator"),
// not JSON.
import { h, replaceChildren } from '../../dom.js';
import { selectField } from '../../forms.js';
import {
  actionLabel, adminApi, auditActions, categoryLabel, reportActions, roleLabel,
} from '../../admin.js';
import {
  adminFrame, emptyRow, pager, urlFilters,
} from '../../components/admin-layout.js';
import { formatBytes, formatDateTime, timeAgo } from '../../format.js';
import { channelUrl, watchUrl } from '../../urls.js';

export const name = 'admin-audit';
export const title = 'Audit log · Admin';

const targetTypes = [
  { value: '', label: 'Anything' },
  { value: 'video', label: 'Videos' },
  { value: 'comment', label: 'Comments' },
  { value: 'user', label: 'Users' },
  { value: 'report', label: 'Reports' },
  { value: 'job', label: 'Jobs' },
  { value: 'site', label: 'Site settings' },
];

const detailNames = {
  from: 'from', to: 'to', action: 'Action', reports_closed: 'Reports closed', category: 'Category', owner: 'Owner',
  email: 'E-mail', role: 'Role', signup_open: 'Sign-ups open', default_role: 'Default role',
  max_upload_bytes: 'Largest upload', user_quota_bytes: 'Storage per user',
};

// One value of the details, in words.
function valueText(key, value) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (key.endsWith('_bytes') && typeof value === 'number') return key === 'user_quota_bytes' && value === 0 ? 'unlimited' : formatBytes(value);
  if (key === 'action') return reportActions[value] ?? String(value);
  if (key === 'category') return categoryLabel(value);
  if (key.endsWith('role')) return roleLabel(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

// The details of an entry as lines: {"from": "creator", "to": "moderator"} ->
// "Creator → Moderator"; {"max_upload_bytes": {"from": …, "to": …}} -> "Largest upload: 8 GB → 4 GB".
export function describeDetails(action, details) {
  if (!details || typeof details !== 'object' || Object.keys(details).length === 0) return [];
  const isChange = (value) => value && typeof value === 'object' && 'from' in value && 'to' in value;
  if ('from' in details && 'to' in details) {
    const key = action === 'user.role' ? 'role' : '';
    return [`${valueText(key, details.from)} → ${valueText(key, details.to)}`];
  }
  return Object.entries(details).map(([key, value]) => {
    const label = detailNames[key] ?? key.replace(/_/g, ' ');
    if (isChange(value)) return `${label}: ${valueText(key, value.from)} → ${valueText(key, value.to)}`;
    return `${label}: ${valueText(key, value)}`;
  });
}

function targetLink(target) {
  const label = target.label || target.id;
  if (target.type === 'video') return h('a', { href: watchUrl(target.id), text: label });
  if (target.type === 'user') return h('a', { href: channelUrl({ id: target.id }), text: `@${label}` });
  if (target.type === 'site') return h('a', { href: '/admin/settings', text: 'Site settings' });
  if (target.type === 'job') return h('span', { text: `${label} #${target.id}` });
  return h('span', { class: 'admin-audit__label', text: label });
}

export async function render(main) {
  const frame = await adminFrame(main, {
    section: 'audit', heading: 'Audit log', intro: 'Every action of the staff, as it happened. Nobody can edit it.',
  });
  if (!frame) return;
  const filters = urlFilters({
    action: '', target_type: '', actor: '', actor_name: '', target_id: '', target_label: '',
  });
  let current = filters.get();
  const action = selectField({
    name: 'action', label: 'Action', value: current.action, options: [{ value: '', label: 'Any action' }, ...auditActions],
  });
  const type = selectField({ name: 'target_type', label: 'Done to', value: current.target_type, options: targetTypes });
  const chips = h('div', { class: 'admin-chips', 'aria-live': 'polite' });
  const body = h('tbody', {});
  const table = h('table', { class: 'admin-table', dataset: { testid: 'audit-table' } },
    h('caption', { class: 'visually-hidden', text: 'Audit log entries, newest first' }),
    h('thead', {}, h('tr', {},
      ['When', 'Who', 'What', 'Target', 'Reason', 'Details'].map((label) => h('th', { scope: 'col', text: label })))),
    body);

  const apply = (changes) => {
    current = { ...current, ...changes };
    filters.set(current);
    action.input.value = current.action;
    type.input.value = current.target_type;
    drawChips();
    return pages.reload();
  };

  function drawChips() {
    const chip = (text, clear, testid) => h('span', { class: 'admin-chip', dataset: { testid } }, text,
      h('button', {
        class: 'admin-chip__clear', type: 'button', 'aria-label': `Remove the filter ${text}`, text: '×',
        on: { click: () => apply(clear) },
      }));
    replaceChildren(chips,
      current.actor ? chip(`By @${current.actor_name || current.actor}`, { actor: '', actor_name: '' }, 'audit-actor-filter') : null,
      current.target_id ? chip(`On ${current.target_label || current.target_id}`, { target_id: '', target_label: '' }, 'audit-target-filter') : null);
  }

  function entryRow(entry) {
    const details = describeDetails(entry.action, entry.details);
    const actor = entry.actor ?? {};
    const target = entry.target ?? {};
    // One cell; its content in one box, so that on phones the column name sits beside it.
    const cell = (label, props, ...children) => h('td', { 'data-label': label, ...props }, h('div', { class: 'admin-table__cell' }, ...children));
    return h('tr', { dataset: { testid: 'audit-entry', action: entry.action, targetId: target.id } },
      cell('When', {},
        h('time', { datetime: entry.created_at, title: timeAgo(entry.created_at), text: formatDateTime(entry.created_at) })),
      cell('Who', {},
        h('button', {
          class: 'admin-link-button', type: 'button', text: `@${actor.username}`, title: `Only what @${actor.username} did`,
          'aria-label': `Only entries by @${actor.username}`,
          on: { click: () => apply({ actor: actor.id, actor_name: actor.username }) },
        }),
        actor.role ? h('span', { class: 'admin-row__sub', text: ` ${roleLabel(actor.role)}` }) : null),
      cell('What', { dataset: { testid: 'audit-action' } }, actionLabel(entry.action)),
      cell('Target', {},
        targetLink(target),
        h('button', {
          class: 'admin-link-button admin-audit__only', type: 'button', text: 'only this',
          'aria-label': `Only entries about ${target.label || target.id}`,
          on: { click: () => apply({ target_type: target.type, target_id: target.id, target_label: target.label || target.id }) },
        })),
      cell('Reason', { class: 'admin-audit__reason', dataset: { testid: 'audit-reason' } }, entry.reason || '—'),
      cell('Details', { class: 'admin-audit__details' },
        details.length ? h('ul', { class: 'admin-audit__detail-list' }, details.map((line) => h('li', { text: line }))) : '—'));
  }

  const pages = pager({
    label: 'Audit log pages',
    fetchPage: async (cursor) => {
      const page = await adminApi.audit({
        action: current.action, target_type: current.target_type, actor: current.actor, target_id: current.target_id, limit: 30, cursor,
      });
      return { items: page.entries ?? [], next_cursor: page.next_cursor };
    },
    renderItems: (entries) => {
      replaceChildren(body, entries.map(entryRow));
      if (entries.length === 0) body.append(h('tr', {}, h('td', { colspan: 6 }, emptyRow('Nothing recorded matches these filters.'))));
    },
  });
  action.input.addEventListener('change', () => apply({ action: action.input.value }));
  type.input.addEventListener('change', () => apply({ target_type: type.input.value }));
  drawChips();
  replaceChildren(frame.body,
    h('div', { class: 'admin-filters admin-filters--inline' }, action.element, type.element),
    chips,
    h('div', { class: 'admin-table-wrap' }, table),
    pages.element);
  await pages.reload();
}
