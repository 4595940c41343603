// /admin: the dashboard — the site's figures (GET /api/admin/stats) as cards: open
// reports, users by role and state, videos by status, storage, jobs, and sign-ups and
// uploads over the last day and week. Each card links to the page that acts on it.
import { h, replaceChildren } from '../../dom.js';
import { adminApi, isAdmin, roleLabel } from '../../admin.js';
import { adminFrame } from '../../components/admin-layout.js';
import { mountSiteAnalytics } from '../../components/site-analytics.js';
import { formatBytes, formatDateTime } from '../../format.js';

export const name = 'admin-dashboard';
export const title = 'Admin';

const number = new Intl.NumberFormat();
const n = (value) => number.format(Number(value) || 0);

// rows: [label, value, href?]
function card({ id, heading, big, bigLabel, rows = [], link, tone }) {
  return h('section', {
    class: `admin-card${tone ? ` admin-card--${tone}` : ''}`, 'aria-labelledby': `card-${id}`, dataset: { testid: `stat-${id}` },
  },
  h('h2', { class: 'admin-card__title', id: `card-${id}`, text: heading }),
  h('p', { class: 'admin-card__big' },
    h('span', { class: 'admin-card__number', dataset: { testid: `stat-${id}-value` }, text: big }),
    bigLabel ? h('span', { class: 'admin-card__unit', text: ` ${bigLabel}` }) : null),
  rows.length
    ? h('dl', { class: 'admin-card__rows' },
      rows.map(([label, value, href]) => h('div', { class: 'admin-card__row' },
        h('dt', {}, href ? h('a', { href, text: label }) : label),
        h('dd', { text: value }))))
    : null,
  link ? h('p', { class: 'admin-card__link' }, h('a', { href: link.href, text: link.label })) : null);
}

function renderStats(stats, user) {
  const users = stats.users ?? {};
  const videos = stats.videos ?? {};
  const jobs = stats.jobs ?? {};
  const byRole = users.by_role ?? {};
  const byStatus = videos.by_status ?? {};
  const open = Number(stats.open_reports) || 0;
  const admin = isAdmin(user);
  return [
    card({
      id: 'reports', heading: 'Open reports', big: n(open), tone: open > 0 ? 'alert' : null,
      rows: [],
      link: { href: '/admin/reports', label: open > 0 ? 'Review the reports' : 'See closed reports' },
    }),
    card({
      id: 'users', heading: 'Users', big: n(users.total),
      rows: [
        ...['viewer', 'creator', 'moderator', 'admin'].map((role) => [`${roleLabel(role)}s`, n(byRole[role]), `/admin/users?role=${role}`]),
        ['Active', n(users.active), '/admin/users?state=active'],
        ['Suspended', n(users.suspended), '/admin/users?state=suspended'],
      ],
      link: { href: '/admin/users', label: 'Manage users' },
    }),
    card({
      id: 'videos', heading: 'Videos', big: n(videos.total),
      rows: [
        ['Ready', n(byStatus.ready), '/admin/videos?status=ready'],
        ['Processing', n(byStatus.processing), '/admin/videos?status=processing'],
        ['Uploading', n(byStatus.uploading), '/admin/videos?status=uploading'],
        ['Failed', n(byStatus.failed), '/admin/videos?status=failed'],
        ['Hidden', n(videos.hidden), '/admin/videos?hidden=true'],
        ['Views', n(videos.views)],
      ],
      link: { href: '/admin/videos', label: 'Manage videos' },
    }),
    card({
      id: 'storage', heading: 'Storage', big: formatBytes(stats.storage_bytes),
      rows: [['Per video (average)', formatBytes((Number(stats.storage_bytes) || 0) / Math.max(1, Number(videos.total) || 0))]],
    }),
    card({
      id: 'jobs', heading: 'Background jobs', big: n(jobs.queued), bigLabel: 'queued', tone: Number(jobs.failed) > 0 ? 'warn' : null,
      rows: [
        ['Running', n(jobs.running), admin ? '/admin/jobs?state=running' : null],
        ['Failed', n(jobs.failed), admin ? '/admin/jobs?state=failed' : null],
        ['Succeeded', n(jobs.succeeded), admin ? '/admin/jobs?state=succeeded' : null],
        ['Cancelled', n(jobs.cancelled), admin ? '/admin/jobs?state=cancelled' : null],
      ],
      link: admin ? { href: '/admin/jobs', label: 'See the jobs' } : null,
    }),
    card({
      id: 'activity', heading: 'Activity', big: n(users.signups_last_week), bigLabel: 'sign-ups this week',
      rows: [
        ['Sign-ups, last 24 hours', n(users.signups_last_day)],
        ['Sign-ups, last 7 days', n(users.signups_last_week)],
        ['Uploads, last 24 hours', n(videos.uploads_last_day)],
        ['Uploads, last 7 days', n(videos.uploads_last_week)],
      ],
    }),
  ];
}

export async function render(main) {
  const frame = await adminFrame(main, {
    section: 'dashboard', heading: 'Dashboard', intro: 'How the site is doing, at a glance.',
  });
  if (!frame) return;
  const grid = h('div', { class: 'admin-cards', 'aria-busy': 'true', dataset: { testid: 'admin-stats' } },
    Array.from({ length: 6 }, () => h('div', { class: 'admin-card admin-card--skeleton skeleton-block', 'aria-hidden': 'true' })));
  const generated = h('p', { class: 'admin__note' });
  const refresh = h('button', { class: 'button button--outline button--small', type: 'button', text: 'Refresh' });
  frame.actions.append(refresh);
  // Sign-ups, uploads, views and watch time over time: admins only (GET /api/analytics/site).
  const analytics = h('section', { class: 'admin-site-analytics', 'aria-label': 'Site analytics', dataset: { testid: 'admin-site-analytics' } });
  replaceChildren(frame.body, grid, generated, analytics);
  if (isAdmin(frame.user)) mountSiteAnalytics(analytics);

  const load = async () => {
    refresh.disabled = true;
    grid.setAttribute('aria-busy', 'true');
    try {
      const stats = await adminApi.stats();
      replaceChildren(grid, renderStats(stats, frame.user));
      generated.textContent = stats.generated_at ? `Figures as of ${formatDateTime(stats.generated_at)}.` : '';
    } catch (error) {
      replaceChildren(grid, h('div', { class: 'notice notice--error', role: 'alert' }, h('p', { text: `The figures could not be loaded. ${error.message}` })));
    } finally {
      grid.removeAttribute('aria-busy');
      refresh.disabled = false;
    }
  };
  refresh.addEventListener('click', load);
  await load();
}
