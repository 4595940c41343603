// /my/videos: every video of the signed-in creator, whatever its status — thumbnail,
// status (followed live while it uploads or processes), visibility, views, date, a link
// to its analytics once it is ready — with
// editing of the details (and whether comments are allowed) in a dialog, deleting after
// a confirmation, and the storage quota.
import { api } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { checkboxField, formAlert, navigate, onSubmit, showMessage } from '../forms.js';
import { emptyScreenArt } from '../components/art.js';
import { progressBar } from '../components/progress-bar.js';
import { videoFields } from '../components/video-fields.js';
import { statusBadge } from '../components/video-status.js';
import { formatBytes, formatDate, formatDuration, formatViews } from '../format.js';
import { loadSession } from '../session.js';
import { loginUrl, studioUrl, studioVideoUrl, uploadUrl, watchUrl } from '../urls.js';
import {
  canUpload, deleteVideo, followVideo, isSettled, updateVideo, visibilityLabel,
} from '../videos.js';

export const name = 'my-videos';
export const title = 'My videos';

const pageSize = 24;

function quotaView() {
  const text = h('p', { class: 'quota__text', dataset: { testid: 'quota-text' } });
  const bar = progressBar({ label: 'Storage used', className: 'quota__bar' });
  bar.element.dataset.testid = 'quota-bar';
  const element = h('div', { class: 'quota', hidden: true }, text, bar.element);
  return {
    element,
    show(quota) {
      if (!quota) return;
      const used = Number(quota.used_bytes) || 0;
      const limit = Number(quota.limit_bytes) || 0;
      element.hidden = false;
      if (limit > 0) {
        const percent = Math.min(100, (used / limit) * 100);
        text.textContent = `${formatBytes(used)} of ${formatBytes(limit)} used`;
        bar.set(percent, `${formatBytes(used)} of ${formatBytes(limit)} used`);
        bar.element.hidden = false;
        element.classList.toggle('quota--full', percent >= 90);
      } else {
        text.textContent = `${formatBytes(used)} used · no storage limit`;
        bar.element.hidden = true;
      }
    },
  };
}

// The edit dialog: one <dialog>, filled for the video being edited.
function editDialog({ onSaved }) {
  const details = videoFields();
  const comments = checkboxField({ name: 'comments_enabled', label: 'Allow comments' });
  comments.input.dataset.testid = 'comments-enabled';
  const alert = formAlert();
  const save = h('button', { class: 'button button--primary', type: 'submit', text: 'Save' });
  const cancel = h('button', { class: 'button', type: 'button', text: 'Cancel' });
  const heading = h('h2', { class: 'dialog__title', id: 'edit-title', text: 'Edit video' });
  const form = h('form', { class: 'form', method: 'dialog' },
    alert,
    details.fields.map((f) => f.element),
    comments.element,
    h('div', { class: 'form__actions dialog__actions' }, cancel, save));
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'edit-title', dataset: { testid: 'edit-dialog' } }, heading, form);
  let video = null;
  cancel.addEventListener('click', () => dialog.close());
  onSubmit(form, { alert, submit: save, fields: [...details.fields, comments] }, async () => {
    const changes = details.changes(video);
    if (comments.input.checked !== (video.comments_enabled !== false)) changes.comments_enabled = comments.input.checked;
    if (Object.keys(changes).length > 0) {
      video = await updateVideo(video.id, changes);
      onSaved(video);
    }
    dialog.close();
    return null;
  });
  return {
    element: dialog,
    open(current) {
      video = current;
      details.fill(current);
      details.clearErrors();
      comments.input.checked = current.comments_enabled !== false;
      comments.clearError();
      showMessage(alert);
      dialog.showModal();
      details.title.input.focus();
    },
  };
}

function confirmDialog({ onConfirmed }) {
  const text = h('p', { class: 'dialog__text' });
  const alert = formAlert();
  const confirm = h('button', { class: 'button button--danger', type: 'submit', text: 'Delete' });
  const cancel = h('button', { class: 'button', type: 'button', text: 'Cancel' });
  const form = h('form', { class: 'form', method: 'dialog' }, alert, text, h('div', { class: 'form__actions dialog__actions' }, cancel, confirm));
  const dialog = h('dialog', { class: 'dialog dialog--small', 'aria-labelledby': 'delete-title', role: 'alertdialog', dataset: { testid: 'delete-dialog' } },
    h('h2', { class: 'dialog__title', id: 'delete-title', text: 'Delete this video?' }), form);
  let video = null;
  cancel.addEventListener('click', () => dialog.close());
  onSubmit(form, { alert, submit: confirm }, async () => {
    await deleteVideo(video.id);
    dialog.close();
    onConfirmed(video);
    return null;
  });
  return {
    element: dialog,
    open(current) {
      video = current;
      text.textContent = `“${current.title}” and its views, comments and files are deleted for good. This cannot be undone.`;
      showMessage(alert);
      dialog.showModal();
      cancel.focus();
    },
  };
}

function videoRow(initial, { onEdit, onDelete, signal }) {
  let video = initial;
  const row = h('li', { class: 'my-video', id: `video-${initial.id}`, dataset: { testid: 'my-video', videoId: initial.id } });
  const follow = new AbortController();
  signal.addEventListener('abort', () => follow.abort(), { once: true });

  const render = () => {
    row.dataset.status = video.status;
    const watchable = video.status === 'ready';
    const thumb = h('div', { class: 'my-video__thumb' },
      video.thumbnail_url ? h('img', { src: video.thumbnail_url, alt: '', loading: 'lazy', decoding: 'async', width: 160, height: 90 }) : null,
      video.duration ? h('span', { class: 'video-card__duration', text: formatDuration(video.duration) }) : null);
    const titleLink = h('a', { class: 'my-video__title', href: watchUrl(video.id), text: video.title, dataset: { testid: 'my-video-title' } });
    replaceChildren(row,
      watchable ? h('a', { class: 'my-video__thumb-link', href: watchUrl(video.id), tabindex: '-1', 'aria-hidden': 'true' }, thumb) : thumb,
      h('div', { class: 'my-video__main' },
        titleLink,
        h('div', { class: 'my-video__badges' },
          statusBadge(video),
          h('span', { class: `visibility-badge visibility-badge--${video.visibility}`, dataset: { testid: 'my-video-visibility' }, text: visibilityLabel(video.visibility) })),
        video.status === 'failed'
          ? h('p', { class: 'my-video__failure', dataset: { testid: 'failure-reason' }, text: video.failure_reason || 'This video could not be processed.' })
          : null,
        video.status === 'processing'
          ? (() => {
            const bar = progressBar({ label: `Processing ${video.title}`, className: 'my-video__progress' });
            bar.set(Number(video.progress) || 0, `${Math.round(Number(video.progress) || 0)} %`);
            return bar.element;
          })()
          : null,
        h('p', { class: 'my-video__facts' },
          [formatViews(video.views), `Uploaded ${formatDate(video.created_at)}`, video.size_bytes ? formatBytes(video.size_bytes) : null]
            .filter(Boolean).join(' · '))),
      h('div', { class: 'my-video__actions' },
        watchable
          ? h('a', {
            class: 'button button--outline button--small', href: studioVideoUrl(video.id), text: 'Analytics',
            'aria-label': `Analytics of “${video.title}”`, dataset: { testid: 'analytics-link' },
          })
          : null,
        h('button', {
          class: 'button button--outline button--small', type: 'button', text: 'Edit', 'aria-label': `Edit “${video.title}”`,
          dataset: { testid: 'edit-button' }, on: { click: () => onEdit(video) },
        }),
        h('button', {
          class: 'button button--small', type: 'button', text: 'Delete', 'aria-label': `Delete “${video.title}”`,
          dataset: { testid: 'delete-button' }, on: { click: () => onDelete(video) },
        })));
  };
  render();
  if (!isSettled(video)) {
    followVideo(video.id, {
      signal: follow.signal,
      onUpdate: (next) => {
        video = next;
        render();
      },
      onGone: () => row.remove(),
    });
  }
  return {
    element: row,
    update(next) {
      video = next;
      render();
    },
    stop: () => follow.abort(),
  };
}

export async function render(main) {
  const user = await loadSession();
  if (!user) {
    navigate(loginUrl('/my/videos'), { replace: true });
    return;
  }
  if (!canUpload(user)) {
    replaceChildren(main,
      h('section', { class: 'error-page', 'aria-labelledby': 'error-title' },
        h('h1', { class: 'error-page__title', id: 'error-title', text: 'My videos is for creators' }),
        h('p', { class: 'error-page__text', text: 'Your account can watch, comment and subscribe, but not upload videos. Ask the site’s administrator to make your account a creator account.' }),
        h('div', { class: 'error-page__actions' }, h('a', { class: 'button button--primary', href: '/', text: 'Go to the home page' }))));
    return;
  }

  const lifetime = new AbortController();
  const rows = new Map();
  const quota = quotaView();
  const list = h('ul', { class: 'my-videos__list', 'aria-labelledby': 'my-videos-title', dataset: { testid: 'my-videos-list' } });
  const announcer = h('p', { class: 'visually-hidden', role: 'status' });
  const alert = h('div', { class: 'form-alert', role: 'alert' });
  const more = h('button', { class: 'button button--outline my-videos__more', type: 'button', text: 'Show more', hidden: true });
  const empty = h('div', { class: 'empty-state', hidden: true },
    emptyScreenArt(),
    h('h2', { class: 'empty-state__title', text: 'No videos yet' }),
    h('p', { class: 'empty-state__text', text: 'Videos you upload show up here, with their processing status, views and settings.' }),
    h('a', { class: 'button button--primary', href: uploadUrl, text: 'Upload a video' }));

  const refreshQuota = async () => {
    try {
      quota.show((await api('/api/me/videos?limit=1')).quota);
    } catch {
      // The list is what matters; the quota shows again on the next load.
    }
  };
  const showEmpty = () => {
    empty.hidden = rows.size > 0;
    list.hidden = rows.size === 0;
  };

  const edit = editDialog({
    onSaved: (video) => {
      rows.get(video.id)?.update(video);
      announcer.textContent = `Saved the details of “${video.title}”.`;
    },
  });
  const remove = confirmDialog({
    onConfirmed: (video) => {
      const row = rows.get(video.id);
      row?.stop();
      row?.element.remove();
      rows.delete(video.id);
      showEmpty();
      announcer.textContent = `Deleted “${video.title}”.`;
      refreshQuota();
    },
  });

  let cursor = null;
  const loadPage = async () => {
    const query = new URLSearchParams({ limit: String(pageSize) });
    if (cursor) query.set('cursor', cursor);
    more.disabled = true;
    try {
      const page = await api(`/api/me/videos?${query}`);
      quota.show(page.quota);
      for (const video of page.videos ?? []) {
        if (rows.has(video.id)) continue;
        const row = videoRow(video, { onEdit: (v) => edit.open(v), onDelete: (v) => remove.open(v), signal: lifetime.signal });
        rows.set(video.id, row);
        list.append(row.element);
      }
      cursor = page.next_cursor ?? null;
      more.hidden = !cursor;
      showMessage(alert);
    } catch (error) {
      showMessage(alert, `Your videos could not be loaded. ${error.message}`);
    } finally {
      more.disabled = false;
      list.removeAttribute('aria-busy');
      showEmpty();
    }
  };
  more.addEventListener('click', loadPage);

  replaceChildren(main,
    h('section', { class: 'my-videos', 'aria-labelledby': 'my-videos-title' },
      h('header', { class: 'page-header' },
        h('div', { class: 'page-header__text' },
          h('h1', { class: 'page-header__title', id: 'my-videos-title', text: 'My videos' }),
          quota.element),
        h('div', { class: 'page-header__actions' },
          h('a', { class: 'button button--outline', href: studioUrl, text: 'Studio' }),
          h('a', { class: 'button button--primary', href: uploadUrl, text: 'Upload videos' }))),
      alert,
      list,
      empty,
      more,
      announcer,
      edit.element,
      remove.element));
  list.setAttribute('aria-busy', 'true');
  await loadPage();
  // /my/videos#video-abc (the watch page's "Edit video"): straight to that video.
  const wanted = decodeURIComponent(location.hash.replace(/^#video-/, ''));
  if (location.hash.startsWith('#video-') && rows.has(wanted)) {
    const row = rows.get(wanted);
    row.element.scrollIntoView({ block: 'center' });
    row.element.querySelector('[data-testid="edit-button"]')?.click();
  }
}
