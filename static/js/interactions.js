// The interaction endpoints in one place: ratings, subscriptions, comments, notifications
// and view reports. Each function returns the answer's useful part and throws the
// ApiError of api.js (whose message can be shown as is).
import { api } from './api.js';

const enc = encodeURIComponent;

// ---------- ratings ----------

// rating: 'like' | 'dislike' | null (removes it). Resolves to {rating, likes, dislikes}.
export function rateVideo(videoId, rating) {
  if (rating === null) return api(`/api/videos/${enc(videoId)}/rating`, { method: 'DELETE' });
  return api(`/api/videos/${enc(videoId)}/${rating === 'like' ? 'like' : 'dislike'}`, { method: 'POST' });
}

// ---------- subscriptions ----------

// Resolves to {subscribed, subscriber_count}.
export function subscription(userId) {
  return api(`/api/users/${enc(userId)}/subscription`);
}

export function setSubscribed(userId, subscribed) {
  return api(`/api/users/${enc(userId)}/subscribe`, { method: subscribed ? 'POST' : 'DELETE' });
}

// ---------- comments ----------

function pageQuery({ sort, parentId, cursor, limit = 20 }) {
  const query = new URLSearchParams({ limit: String(limit) });
  if (sort) query.set('sort', sort);
  if (parentId) query.set('parent_id', parentId);
  if (cursor) query.set('cursor', cursor);
  return query;
}

// Top-level comments (sort 'top' | 'newest'), or the replies of parentId (oldest first).
// Resolves to {comments, next_cursor, comment_count, comments_enabled}.
export function listComments(videoId, options) {
  return api(`/api/videos/${enc(videoId)}/comments?${pageQuery(options)}`);
}

export async function postComment(videoId, content, parentId = null) {
  const body = { content };
  if (parentId) body.parent_id = parentId;
  const { comment } = await api(`/api/videos/${enc(videoId)}/comments`, { method: 'POST', body });
  return comment;
}

export async function editComment(commentId, content) {
  const { comment } = await api(`/api/comments/${enc(commentId)}`, { method: 'PATCH', body: { content } });
  return comment;
}

export function deleteComment(commentId) {
  return api(`/api/comments/${enc(commentId)}`, { method: 'DELETE' });
}

// ---------- notifications ----------

export async function unreadCount() {
  return Number((await api('/api/me/notifications/unread-count')).unread_count) || 0;
}

// Resolves to {notifications, next_cursor, unread_count}.
export function listNotifications({ cursor, limit = 20 } = {}) {
  return api(`/api/me/notifications?${pageQuery({ cursor, limit })}`);
}

// ids: the notifications to mark, or null for all of them. Resolves to the unread count
// left. keepalive lets the request finish when the page is being left.
export async function markNotificationsRead(ids, { keepalive = false } = {}) {
  const body = ids === null ? { all: true } : { ids };
  return Number((await api('/api/me/notifications/read', { method: 'POST', body, keepalive })).unread_count) || 0;
}

// ---------- views ----------

// A play started (no watch time) or a heartbeat. Sent with keepalive so the last one
// arrives when the page is being left. Resolves to {counted, views}.
export function reportView(videoId, { watchTimeSeconds, positionSeconds } = {}) {
  const body = {};
  if (Number.isFinite(watchTimeSeconds)) body.watch_time_seconds = Math.round(watchTimeSeconds * 10) / 10;
  if (Number.isFinite(positionSeconds)) body.position_seconds = Math.round(positionSeconds * 10) / 10;
  return api(`/api/videos/${enc(videoId)}/views`, { method: 'POST', body, keepalive: true });
}
