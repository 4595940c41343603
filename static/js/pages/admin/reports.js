// /admin/reports: the moderators' queue. Tabs for open, resolved and dismissed reports,
// a filter by what was reported; each report shows its target (the video, or the comment
// and the video it is on), the category, the reporter's words, who reported it and how
// many reports of the same target are open. Acting on an open report — hide the video,
// delete the comment, suspend the owner or author, or dismiss it — takes a reason and
// closes every open report of that target.
import { api } from '../../api.js';
import { h, replaceChildren } from '../../dom.js';
import { selectField } from '../../forms.js';
import {
  adminApi, categoryLabel, openReportCount, reportActions,
} from '../../admin.js';
import {
  adminFrame, emptyRow, pager, pill, statusLine, urlFilters,
} from '../../components/admin-layout.js';
import { openActionDialog } from '../../components/action-dialog.js';
import { formatDateTime, timeAgo } from '../../format.js';
import { displayName } from '../../session.js';
import { channelUrl, watchUrl } from '../../urls.js';

export const name = 'admin-reports';
export const title = 'Reports · Admin';

const tabs = [
  { value: 'open', label: 'Open' },
  { value: 'resolved', label: 'Resolved' },
  { value: 'dismissed', label: 'Dismissed' },
];
const targetTypes = [
  { value: '', label: 'Videos and comments' },
  { value: 'video', label: 'Videos' },
  { value: 'comment', label: 'Comments' },
];

// The video or comment a report is about, looked up for its picture, owner and video.
// Resolves to {video?, comment?} ({} when it is gone or cannot be seen).
async function lookUpTarget(target) {
  if (!target.exists) return {};
  try {
    if (target.type === 'video') {
      const { video } = await api(`/api/videos/${encodeURIComponent(target.id)}`);
      return { video };
    }
    const { comment } = await api(`/api/comments/${encodeURIComponent(target.id)}`);
    const video = await api(`/api/videos/${encodeURIComponent(comment.video_id)}`).then((answer) => answer.video, () => null);
    return { comment, video };
  } catch (error) {
    console.warn('monotube: could not look up the reported target', error);
    return {};
  }
}

export async function render(main) {
  const frame = await adminFrame(main, {
    section: 'reports', heading: 'Reports', intro: 'What people reported. Acting on a report closes every open report of the same video or comment.',
  });
  if (!frame) return;
  const filters = urlFilters({ state: 'open', target_type: '' });
  let current = filters.get();
  if (!tabs.some((t) => t.value === current.state)) current = { ...current, state: 'open' };

  const list = h('ul', { class: 'admin-list admin-reports', id: 'reports-panel-list', dataset: { testid: 'admin-reports' } });
  const announcer = statusLine();
  const type = selectField({ name: 'target_type', label: 'Reported', value: current.target_type, options: targetTypes });

  // ---------- tabs (WAI-ARIA tabs: arrows move, Home/End, the focused tab is selected) ----------
  const tabButtons = tabs.map((tab) => h('button', {
    class: 'admin-tabs__tab', type: 'button', role: 'tab', id: `reports-tab-${tab.value}`,
    'aria-controls': 'reports-panel', dataset: { state: tab.value, testid: `reports-tab-${tab.value}` }, text: tab.label,
  }));
  const tabList = h('div', { class: 'admin-tabs', role: 'tablist', 'aria-label': 'Report state' }, tabButtons);
  const panel = h('div', { class: 'admin-tabs__panel', role: 'tabpanel', id: 'reports-panel' }, list);
  const selectTab = (value, { focus = false } = {}) => {
    for (const button of tabButtons) {
      const selected = button.dataset.state === value;
      button.setAttribute('aria-selected', String(selected));
      button.tabIndex = selected ? 0 : -1;
      if (selected && focus) button.focus();
      if (selected) panel.setAttribute('aria-labelledby', button.id);
    }
  };
  tabList.addEventListener('click', (event) => {
    const button = event.target.closest('[role="tab"]');
    if (!button || button.dataset.state === current.state) return;
    apply({ state: button.dataset.state });
  });
  tabList.addEventListener('keydown', (event) => {
    const index = tabButtons.indexOf(document.activeElement);
    if (index < 0) return;
    const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabButtons.length - 1 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const next = tabButtons[(moves[event.key] + tabButtons.length) % tabButtons.length];
    selectTab(next.dataset.state, { focus: true });
    apply({ state: next.dataset.state });
  });

  // ---------- one report ----------
  function reportItem(report) {
    const { target } = report;
    const item = h('li', {
      class: 'admin-row admin-report', dataset: { testid: 'admin-report', reportId: report.id, targetType: target.type, targetId: target.id },
    });
    const targetBox = h('div', { class: 'admin-report__target', dataset: { testid: 'report-target' } });
    const actions = h('div', { class: 'admin-row__actions admin-report__actions' });
    const open = report.state === 'open';

    const drawTarget = (found) => {
      if (target.type === 'video') {
        const video = found.video;
        replaceChildren(targetBox,
          target.exists && video?.thumbnail_url
            ? h('a', { class: 'admin-report__thumb', href: watchUrl(target.id), tabindex: '-1', 'aria-hidden': 'true' },
              h('img', { src: video.thumbnail_url, alt: '', loading: 'lazy', width: 160, height: 90 }))
            : null,
          h('div', { class: 'admin-report__what' },
            h('p', { class: 'admin-report__kind', text: 'Video' }),
            target.exists
              ? h('a', { class: 'admin-report__title', href: watchUrl(target.id), dataset: { testid: 'report-target-link' }, text: target.label })
              : h('p', { class: 'admin-report__title' }, target.label, h('span', { class: 'admin-row__sub', text: ' (deleted)' })),
            video?.owner?.id
              ? h('p', { class: 'admin-row__meta' },
                h('span', {}, 'by ', h('a', { href: channelUrl(video.owner), text: displayName(video.owner) })),
                video.hidden ? pill('Hidden', 'danger') : null)
              : null));
      } else {
        const comment = found.comment;
        replaceChildren(targetBox,
          h('div', { class: 'admin-report__what' },
            h('p', { class: 'admin-report__kind', text: 'Comment' }),
            h('blockquote', { class: 'admin-report__quote', dataset: { testid: 'report-comment-text' }, text: comment?.content ?? target.label }),
            comment
              ? h('p', { class: 'admin-row__meta' },
                comment.author?.id ? h('span', {}, 'by ', h('a', { href: channelUrl(comment.author), text: displayName(comment.author) })) : null,
                h('span', {}, 'on ', h('a', {
                  href: `${watchUrl(comment.video_id)}#comment-${encodeURIComponent(comment.id)}`, dataset: { testid: 'report-comment-video' },
                  text: found.video?.title ? `“${found.video.title}”` : 'its video',
                })))
              : h('p', { class: 'admin-row__meta', text: target.exists ? '' : 'This comment was deleted.' })));
      }
    };

    const act = (opener, spec) => openActionDialog({
      ...spec,
      run: async ({ reason }) => {
        await adminApi.handleReport(report.id, { ...spec.body, reason });
        announcer.say(spec.done);
        pages.refresh().then(() => (list.querySelector('button') ?? document.getElementById('admin-title'))?.focus());
        openReportCount({ fresh: true }).then((count) => {
          frame.nav.setOpenReports(count);
          document.dispatchEvent(new CustomEvent('monotube:reports-changed', { detail: { count } }));
        });
      },
    }, opener);

    const owner = target.type === 'video' ? 'owner' : 'author';
    const button = (text, testid, onClick, variant = 'outline') => h('button', {
      class: `button button--small button--${variant}`, type: 'button', text, dataset: { testid },
      on: { click: (event) => onClick(event.currentTarget) },
    });
    if (open) {
      if (target.type === 'video' && target.exists) {
        actions.append(button('Hide video', 'report-hide-video', (opener) => act(opener, {
          title: 'Hide this video?',
          text: `“${target.label}” disappears for everyone but its owner and staff, and the report is resolved.`,
          confirmLabel: 'Hide video', variant: 'danger', reasonRequired: true,
          body: { state: 'resolved', action: 'hide_video' }, done: 'The video is hidden and the report resolved.',
        }), 'danger'));
      }
      if (target.type === 'comment' && target.exists) {
        actions.append(button('Delete comment', 'report-delete-comment', (opener) => act(opener, {
          title: 'Delete this comment?',
          text: 'The comment (and its replies) is deleted for good, and the report is resolved.',
          confirmLabel: 'Delete comment', variant: 'danger', reasonRequired: true,
          body: { state: 'resolved', action: 'delete_comment' }, done: 'The comment is deleted and the report resolved.',
        }), 'danger'));
      }
      if (target.exists) {
        actions.append(button(`Suspend ${owner}`, 'report-suspend-user', (opener) => act(opener, {
          title: `Suspend the ${owner}?`,
          text: `The ${owner} of this ${target.type} is signed out and cannot sign in; their videos are hidden from everyone but staff. The report is resolved.`,
          confirmLabel: `Suspend ${owner}`, variant: 'danger', reasonRequired: true,
          body: { state: 'resolved', action: 'suspend_user' }, done: `The ${owner} is suspended and the report resolved.`,
        })));
      }
      actions.append(button('Dismiss', 'report-dismiss', (opener) => act(opener, {
        title: 'Dismiss this report?',
        text: `Nothing happens to the ${target.type}; every open report of it is closed as dismissed.`,
        confirmLabel: 'Dismiss report',
        body: { state: 'dismissed', action: 'none' }, done: 'The report is dismissed.',
      })));
    }

    const openCount = Number(report.open_reports_on_target) || 0;
    item.append(
      h('div', { class: 'admin-report__body' },
        h('p', { class: 'admin-row__meta' },
          pill(categoryLabel(report.category), 'warn'),
          open && openCount > 0
            ? h('span', { class: 'admin-row__detail', dataset: { testid: 'report-open-count' }, text: `${openCount} open ${openCount === 1 ? 'report' : 'reports'} on this ${target.type}` })
            : null,
          h('span', { class: 'admin-row__detail' }, 'reported by ',
            report.reporter?.id ? h('a', { href: channelUrl(report.reporter), text: `@${report.reporter.username}` }) : 'a deleted account',
            ' ', h('time', { datetime: report.created_at, title: formatDateTime(report.created_at), text: timeAgo(report.created_at) }))),
        report.text ? h('p', { class: 'admin-report__text', dataset: { testid: 'report-text' }, text: report.text }) : null,
        targetBox,
        open
          ? null
          : h('p', { class: 'admin-row__meta admin-row__meta--quiet', dataset: { testid: 'report-outcome' } },
            `${report.state === 'resolved' ? 'Resolved' : 'Dismissed'}${report.resolved_by ? ` by @${report.resolved_by}` : ''}`,
            report.resolved_at ? ` on ${formatDateTime(report.resolved_at)}` : '',
            report.action && report.action !== 'none' ? ` · ${reportActions[report.action] ?? report.action}` : '')),
      open ? actions : null);
    drawTarget({});
    lookUpTarget(target).then(drawTarget);
    return item;
  }

  const pages = pager({
    label: 'Report pages',
    fetchPage: async (cursor) => {
      const page = await adminApi.reports({ state: current.state, target_type: current.target_type, limit: 20, cursor });
      return { items: page.reports ?? [], next_cursor: page.next_cursor };
    },
    renderItems: (reports) => {
      replaceChildren(list, reports.map(reportItem));
      if (reports.length === 0) {
        list.append(h('li', {}, emptyRow(current.state === 'open' ? 'No open reports. All caught up.' : `No ${current.state} reports.`)));
      }
    },
  });

  function apply(changes) {
    current = { ...current, ...changes };
    filters.set(current);
    selectTab(current.state);
    return pages.reload();
  }
  type.input.addEventListener('change', () => apply({ target_type: type.input.value }));

  selectTab(current.state);
  document.getElementById('admin-title')?.setAttribute('tabindex', '-1');
  replaceChildren(frame.body,
    h('div', { class: 'admin-reports__bar' }, tabList, h('div', { class: 'admin-filters admin-filters--inline' }, type.element)),
    announcer.element, panel, pages.element);
  await pages.reload();
}
