// What the admin pages and the report buttons share: who is staff, the admin API
// (/api/admin/*, the report endpoints, the public site settings) and the words for
// roles, report categories, audit actions and job states. Each call throws the ApiError
// of api.js, whose message can be shown as is.
import { api } from './api.js';

const enc = encodeURIComponent;

// ---------- who may do what ----------

export const isStaff = (user) => user?.role === 'moderator' || user?.role === 'admin';
export const isAdmin = (user) => user?.role === 'admin';

// ---------- words ----------

export const roles = [
  { value: 'viewer', label: 'Viewer' },
  { value: 'creator', label: 'Creator' },
  { value: 'moderator', label: 'Moderator' },
  { value: 'admin', label: 'Admin' },
];
export const roleLabel = (value) => roles.find((r) => r.value === value)?.label ?? value;

export const reportCategories = [
  { value: 'spam', label: 'Spam or misleading' },
  { value: 'harassment', label: 'Harassment or bullying' },
  { value: 'hate', label: 'Hateful content' },
  { value: 'violence', label: 'Violent or dangerous' },
  { value: 'sexual', label: 'Sexual content' },
  { value: 'misinformation', label: 'Misinformation' },
  { value: 'copyright', label: 'Copyright infringement' },
  { value: 'child_safety', label: 'Child safety' },
  { value: 'other', label: 'Something else' },
];
export const categoryLabel = (value) => reportCategories.find((c) => c.value === value)?.label ?? value;

export const auditActions = [
  { value: 'video.hide', label: 'Video hidden' },
  { value: 'video.unhide', label: 'Video shown again' },
  { value: 'video.delete', label: 'Video deleted' },
  { value: 'video.retry', label: 'Video processing retried' },
  { value: 'comment.delete', label: 'Comment deleted' },
  { value: 'user.suspend', label: 'User suspended' },
  { value: 'user.unsuspend', label: 'User unsuspended' },
  { value: 'user.role', label: 'Role changed' },
  { value: 'user.delete', label: 'User deleted' },
  { value: 'report.resolve', label: 'Report resolved' },
  { value: 'report.dismiss', label: 'Report dismissed' },
  { value: 'job.retry', label: 'Job retried' },
  { value: 'job.cancel', label: 'Job cancelled' },
  { value: 'settings.update', label: 'Settings changed' },
];
export const actionLabel = (value) => auditActions.find((a) => a.value === value)?.label ?? value;

export const reportActions = {
  none: 'No action',
  hide_video: 'Video hidden',
  delete_comment: 'Comment deleted',
  suspend_user: 'User suspended',
};

export const jobStates = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

// ---------- the API ----------

// {name: value} without the empty ones, as a query string ("" when nothing is left).
export function queryString(params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `?${text}` : '';
}

export const adminApi = {
  stats: () => api('/api/admin/stats'),

  users: (params) => api(`/api/admin/users${queryString(params)}`),
  changeUser: async (id, changes) => (await api(`/api/admin/users/${enc(id)}`, { method: 'PATCH', body: changes })).user,
  deleteUser: (id, reason) => api(`/api/admin/users/${enc(id)}`, { method: 'DELETE', body: { reason } }),

  videos: (params) => api(`/api/admin/videos${queryString(params)}`),
  changeVideo: async (id, changes) => (await api(`/api/admin/videos/${enc(id)}`, { method: 'PATCH', body: changes })).video,
  deleteVideo: (id, reason) => api(`/api/admin/videos/${enc(id)}`, { method: 'DELETE', body: { reason } }),
  retryVideo: async (id, reason) => (await api(`/api/admin/videos/${enc(id)}/retry`, { method: 'POST', body: { reason } })).video,

  jobs: (params) => api(`/api/admin/jobs${queryString(params)}`),
  jobAction: async (id, action, reason) => (await api(`/api/admin/jobs/${enc(id)}/${action}`, { method: 'POST', body: { reason } })).job,

  audit: (params) => api(`/api/admin/audit${queryString(params)}`),

  reports: (params) => api(`/api/admin/reports${queryString(params)}`),
  handleReport: async (id, body) => (await api(`/api/admin/reports/${enc(id)}`, { method: 'PATCH', body })).report,

  settings: () => api('/api/admin/settings'),
  saveSettings: (changes) => api('/api/admin/settings', { method: 'PATCH', body: changes }),
};

// target: {type: 'video' | 'comment', id}. Resolves to the new report.
export async function fileReport(target, { category, text }) {
  const path = target.type === 'video' ? `/api/videos/${enc(target.id)}/report` : `/api/comments/${enc(target.id)}/report`;
  return (await api(path, { method: 'POST', body: { category, text } })).report;
}

// The public site settings (GET /api/site): {signup_open, default_role, max_upload_bytes}.
// null when they cannot be had; callers then keep their defaults.
export async function siteSettings() {
  try {
    return await api('/api/site');
  } catch (error) {
    console.warn('monotube: could not load the site settings', error);
    return null;
  }
}

// How many reports are open (at most 100 counted: more reads "99+"), asked once per page
// load and shared by the header link and the admin navigation. 0 when it cannot be had.
let openReports = null;
export function openReportCount({ fresh = false } = {}) {
  if (fresh) openReports = null;
  openReports ??= api('/api/admin/reports?state=open&limit=100').then(
    (page) => (page.next_cursor ? 100 : (page.reports ?? []).length),
    (error) => {
      console.warn('monotube: could not count the open reports', error);
      return 0;
    },
  );
  return openReports;
}
