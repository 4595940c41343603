// What the video pages share: who may upload, the words for a video's status and
// visibility, tags as people type them, titles from file names, and following a video
// while the server processes it.
import { api } from './api.js';

export const maxTitleLength = 100;
export const maxDescriptionLength = 5000;
export const maxTags = 15;
export const maxTagLength = 30;

export const visibilities = [
  { value: 'public', label: 'Public', hint: 'Everyone can find and watch it.' },
  { value: 'unlisted', label: 'Unlisted', hint: 'Only people with the link can watch it; it is not listed or searchable.' },
  { value: 'private', label: 'Private', hint: 'Only you can watch it.' },
];

export function visibilityLabel(value) {
  return visibilities.find((v) => v.value === value)?.label ?? value;
}

export function visibilityHint(value) {
  return visibilities.find((v) => v.value === value)?.hint ?? '';
}

export function canUpload(user) {
  return ['creator', 'moderator', 'admin'].includes(user?.role);
}

// "Holiday 2024 (final).MOV" -> "Holiday 2024 (final)"; never longer than a title may be.
export function titleFromFileName(fileName) {
  const base = String(fileName ?? '').replace(/\.[^./\\]{1,8}$/, '').trim() || String(fileName ?? '').trim();
  return Array.from(base).slice(0, maxTitleLength).join('');
}

// "cats, funny ,, Cats" -> ["cats", "funny"] (case-insensitive duplicates dropped)
export function parseTags(text) {
  const seen = new Set();
  const tags = [];
  for (const raw of String(text ?? '').split(',')) {
    const tag = raw.trim().replace(/\s+/g, ' ');
    if (tag === '' || seen.has(tag.toLowerCase())) continue;
    seen.add(tag.toLowerCase());
    tags.push(tag);
  }
  return tags;
}

export function formatTags(tags) {
  return (tags ?? []).join(', ');
}

export const isSettled = (video) => video?.status === 'ready' || video?.status === 'failed';

// Short words for a status badge.
export function statusLabel(video) {
  switch (video?.status) {
    case 'uploading': return 'Uploading';
    case 'processing': return `Processing ${clampPercent(video.progress)} %`;
    case 'ready': return 'Ready';
    case 'failed': return 'Failed';
    default: return video?.status ?? '';
  }
}

// A sentence for a status panel.
export function statusSentence(video) {
  switch (video?.status) {
    case 'uploading': return 'The upload has not finished yet.';
    case 'processing': return `${clampPercent(video.progress)} % done. The video can be watched once it is ready.`;
    case 'ready': return 'Your video is ready to watch.';
    case 'failed': return video.failure_reason || 'This video could not be processed.';
    default: return '';
  }
}

export function clampPercent(value) {
  return Math.max(0, Math.min(100, Math.round(Number(value) || 0)));
}

export async function fetchVideo(id, { signal } = {}) {
  const { video } = await api(`/api/videos/${encodeURIComponent(id)}`, { signal });
  return video;
}

export async function updateVideo(id, changes) {
  const { video } = await api(`/api/videos/${encodeURIComponent(id)}`, { method: 'PATCH', body: changes });
  return video;
}

export async function deleteVideo(id) {
  await api(`/api/videos/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

// Asks GET /api/videos/{id} every `interval` ms while the video is uploading or
// processing and hands each answer to onUpdate(video); stops by itself once the video is
// ready or failed, when it is gone (onGone()), or when `signal` aborts. A failed request
// is tried again a little later. An upload nobody finishes is asked about less often.
export function followVideo(id, { onUpdate, onGone, signal, interval = 2000 }) {
  let timer = null;
  let failures = 0;
  const stop = () => clearTimeout(timer);
  signal?.addEventListener('abort', stop, { once: true });
  const tick = async () => {
    if (signal?.aborted) return;
    let video;
    try {
      video = await fetchVideo(id, { signal });
      failures = 0;
    } catch (error) {
      if (signal?.aborted || error.name === 'AbortError') return;
      if (error.status === 404) {
        onGone?.();
        return;
      }
      failures += 1;
      timer = setTimeout(tick, Math.min(30_000, interval * 2 ** failures));
      return;
    }
    if (signal?.aborted) return;
    onUpdate(video);
    if (!isSettled(video)) timer = setTimeout(tick, video.status === 'uploading' ? interval * 5 : interval);
  };
  timer = setTimeout(tick, interval);
  return stop;
}
