// /admin/users: every account, newest first, searchable (username, e-mail, display
// name) and filtered by role and by state (active or suspended), a page at a time. Staff
// suspend and unsuspend with a reason (moderators: viewers and creators only); admins
// also change roles and delete accounts (typing the username to confirm). Nobody acts
// on their own account here.
import { h, replaceChildren } from '../../dom.js';
import { field, selectField } from '../../forms.js';
import {
  adminApi, isAdmin, roleLabel, roles,
} from '../../admin.js';
import {
  adminFrame, emptyRow, filterBar, pager, pill, statusLine, urlFilters,
} from '../../components/admin-layout.js';
import { openActionDialog } from '../../components/action-dialog.js';
import { renderAvatar } from '../../components/avatar.js';
import { formatDate } from '../../format.js';
import { displayName } from '../../session.js';
import { channelUrl } from '../../urls.js';

export const name = 'admin-users';
export const title = 'Users · Admin';

const states = [
  { value: '', label: 'Any state' },
  { value: 'active', label: 'Active' },
  { value: 'suspended', label: 'Suspended' },
];

export async function render(main) {
  const frame = await adminFrame(main, {
    section: 'users', heading: 'Users', intro: 'Find accounts, suspend those who break the rules, manage the staff.',
  });
  if (!frame) return;
  const me = frame.user;
  const admin = isAdmin(me);
  const filters = urlFilters({ query: '', role: '', state: '' });
  const initial = filters.get();

  const query = field({
    name: 'query', label: 'Search', type: 'search', value: initial.query, maxlength: 200,
    autocapitalize: 'none', spellcheck: false,
  });
  query.input.placeholder = 'Username, e-mail or name';
  const role = selectField({ name: 'role', label: 'Role', value: initial.role, options: [{ value: '', label: 'Any role' }, ...roles] });
  const state = selectField({ name: 'state', label: 'State', value: initial.state, options: states });
  const list = h('ul', { class: 'admin-list', 'aria-labelledby': 'admin-title', dataset: { testid: 'admin-users' } });
  const status = statusLine();

  const canActOn = (user) => user.id !== me.id && (admin || !['moderator', 'admin'].includes(user.role));

  function userRow(initialUser) {
    let user = initialUser;
    const row = h('li', { class: 'admin-row admin-user', dataset: { testid: 'admin-user', userId: user.id, username: user.username } });
    const draw = () => {
      const buttons = [];
      if (canActOn(user)) {
        buttons.push(h('button', {
          class: `button button--small ${user.suspended ? 'button--outline' : 'button--danger'}`, type: 'button',
          text: user.suspended ? 'Unsuspend' : 'Suspend', dataset: { testid: user.suspended ? 'unsuspend-user' : 'suspend-user' },
          'aria-label': `${user.suspended ? 'Unsuspend' : 'Suspend'} ${user.username}`,
          on: { click: (event) => suspend(event.currentTarget) },
        }));
      }
      if (admin && user.id !== me.id) {
        buttons.push(h('button', {
          class: 'button button--outline button--small', type: 'button', text: 'Change role', dataset: { testid: 'change-role' },
          'aria-label': `Change the role of ${user.username}`, on: { click: (event) => changeRole(event.currentTarget) },
        }));
        buttons.push(h('button', {
          class: 'button button--outline button--small admin-row__danger', type: 'button', text: 'Delete', dataset: { testid: 'delete-user' },
          'aria-label': `Delete ${user.username}`, on: { click: (event) => remove(event.currentTarget) },
        }));
      }
      replaceChildren(row,
        h('a', { class: 'admin-row__media', href: channelUrl(user), tabindex: '-1', 'aria-hidden': 'true' }, renderAvatar(user, { size: 'medium' })),
        h('div', { class: 'admin-row__main' },
          h('p', { class: 'admin-row__title' },
            h('a', { href: channelUrl(user), text: displayName(user) }),
            h('span', { class: 'admin-row__sub', text: ` @${user.username}` })),
          h('p', { class: 'admin-row__meta' },
            pill(roleLabel(user.role), ['moderator', 'admin'].includes(user.role) ? 'staff' : 'neutral'),
            user.suspended ? pill('Suspended', 'danger') : null,
            user.id === me.id ? pill('You', 'info') : null,
            h('span', { class: 'admin-row__detail', text: user.email }),
            h('span', { class: 'admin-row__detail', text: `${user.video_count ?? 0} ${Number(user.video_count) === 1 ? 'video' : 'videos'}` }),
            h('span', { class: 'admin-row__detail', text: `joined ${formatDate(user.created_at)}` }))),
        buttons.length ? h('div', { class: 'admin-row__actions' }, buttons) : null);
      row.dataset.suspended = String(Boolean(user.suspended));
      row.dataset.role = user.role;
    };
    const updated = (next, message, focusTestid) => {
      user = next;
      draw();
      status.say(message);
      return row.querySelector(`[data-testid="${focusTestid}"]`) ?? row.querySelector('button');
    };
    function suspend(opener) {
      const suspending = !user.suspended;
      openActionDialog({
        title: suspending ? `Suspend ${user.username}?` : `Unsuspend ${user.username}?`,
        text: suspending
          ? 'They are signed out everywhere, cannot sign in, and their videos are hidden from everyone but staff until they are unsuspended.'
          : 'They can sign in again and their videos are shown again (unless a moderator hid them one by one).',
        confirmLabel: suspending ? 'Suspend' : 'Unsuspend',
        variant: suspending ? 'danger' : 'primary',
        reasonRequired: suspending,
        run: async ({ reason }) => {
          const next = await adminApi.changeUser(user.id, { suspended: suspending, reason });
          return updated(next, suspending ? `${user.username} is suspended.` : `${user.username} is no longer suspended.`,
            suspending ? 'unsuspend-user' : 'suspend-user');
        },
      }, opener);
    }
    function changeRole(opener) {
      openActionDialog({
        title: `Change the role of ${user.username}`,
        text: 'Viewers watch and comment; creators also upload; moderators review reports, hide videos and suspend viewers and creators; admins do everything.',
        confirmLabel: 'Change role',
        choices: [{ name: 'role', label: 'New role', value: user.role, options: roles }],
        run: async ({ role: next, reason }) => {
          if (next === user.role) return null;
          const changed = await adminApi.changeUser(user.id, { role: next, reason });
          return updated(changed, `${user.username} is now ${roleLabel(changed.role).toLowerCase()}.`, 'change-role');
        },
      }, opener);
    }
    function remove(opener) {
      openActionDialog({
        title: `Delete ${user.username}?`,
        text: `The account, its channel, its ${user.video_count ?? 0} ${Number(user.video_count) === 1 ? 'video' : 'videos'}, comments and everything else it owns are erased for good. This cannot be undone.`,
        confirmLabel: 'Delete account',
        variant: 'danger',
        confirmText: user.username,
        run: async ({ reason }) => {
          await adminApi.deleteUser(user.id, reason);
          const neighbour = row.nextElementSibling ?? row.previousElementSibling;
          row.remove();
          status.say(`${user.username} was deleted.`);
          return neighbour?.querySelector('button, a') ?? document.getElementById('admin-title');
        },
      }, opener);
    }
    draw();
    return row;
  }

  const pages = pager({
    label: 'User pages',
    fetchPage: async (cursor) => {
      const values = filters.get();
      const page = await adminApi.users({
        query: values.query.trim(), role: values.role, limit: 25, cursor,
        suspended: values.state === 'suspended' ? 'true' : values.state === 'active' ? 'false' : '',
      });
      return { items: page.users ?? [], next_cursor: page.next_cursor };
    },
    renderItems: (users) => {
      replaceChildren(list, users.map(userRow));
      if (users.length === 0) list.append(h('li', {}, emptyRow('No users match these filters.')));
    },
  });

  const bar = filterBar([query, role, state], () => {
    filters.set({ query: query.input.value.trim(), role: role.input.value, state: state.input.value });
    pages.reload();
  }, { submitLabel: 'Search' });
  document.getElementById('admin-title')?.setAttribute('tabindex', '-1');
  replaceChildren(frame.body, bar, status.element, list, pages.element);
  await pages.reload();
}
