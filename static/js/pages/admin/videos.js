// /admin/videos: every video whatever its status or visibility, newest first, filtered
// by status (failed ones included), hidden or not, words of the title and owner, a page
// at a time. Staff hide and unhide with a reason; admins also delete videos and retry
// the processing of failed ones.
import { h, replaceChildren } from '../../dom.js';
import { field, selectField } from '../../forms.js';
import { adminApi, isAdmin } from '../../admin.js';
import {
  adminFrame, emptyRow, filterBar, pager, pill, statusLine, urlFilters,
} from '../../components/admin-layout.js';
import { openActionDialog } from '../../components/action-dialog.js';
import {
  formatBytes, formatDate, formatDuration, formatViews,
} from '../../format.js';
import { displayName } from '../../session.js';
import { channelUrl, watchUrl } from '../../urls.js';
import { statusLabel, visibilityLabel } from '../../videos.js';

export const name = 'admin-videos';
export const title = 'Videos · Admin';

const statuses = [
  { value: '', label: 'Any status' },
  { value: 'ready', label: 'Ready' },
  { value: 'processing', label: 'Processing' },
  { value: 'uploading', label: 'Uploading' },
  { value: 'failed', label: 'Failed' },
];
const hiddenOptions = [
  { value: '', label: 'Any' },
  { value: 'true', label: 'Hidden' },
  { value: 'false', label: 'Not hidden' },
];
const statusTone = { ready: 'success', failed: 'danger', processing: 'info', uploading: 'info' };

export async function render(main) {
  const frame = await adminFrame(main, {
    section: 'videos', heading: 'Videos', intro: 'Every video on the site, whoever can see it.',
  });
  if (!frame) return;
  const admin = isAdmin(frame.user);
  const filters = urlFilters({
    status: '', hidden: '', query: '', owner: '',
  });
  const initial = filters.get();
  const status = selectField({ name: 'status', label: 'Status', value: initial.status, options: statuses });
  const hidden = selectField({ name: 'hidden', label: 'Hidden', value: initial.hidden, options: hiddenOptions });
  const query = field({ name: 'query', label: 'Title', type: 'search', value: initial.query, maxlength: 200 });
  query.input.placeholder = 'Words of the title';
  const owner = field({
    name: 'owner', label: 'Owner', value: initial.owner, maxlength: 200, autocapitalize: 'none', spellcheck: false,
  });
  owner.input.placeholder = 'Username';
  const list = h('ul', { class: 'admin-list', 'aria-labelledby': 'admin-title', dataset: { testid: 'admin-videos' } });
  const announcer = statusLine();

  function videoRow(initialVideo) {
    let video = initialVideo;
    const row = h('li', { class: 'admin-row admin-video', dataset: { testid: 'admin-video', videoId: video.id } });
    const draw = () => {
      const ownerInfo = video.owner ?? {};
      const buttons = [
        h('button', {
          class: `button button--small ${video.hidden ? 'button--outline' : 'button--danger'}`, type: 'button',
          text: video.hidden ? 'Unhide' : 'Hide', dataset: { testid: video.hidden ? 'unhide-video' : 'hide-video' },
          'aria-label': `${video.hidden ? 'Unhide' : 'Hide'} “${video.title}”`, on: { click: (event) => toggleHidden(event.currentTarget) },
        }),
      ];
      if (admin && video.status === 'failed' && video.can_retry) {
        buttons.push(h('button', {
          class: 'button button--outline button--small', type: 'button', text: 'Retry', dataset: { testid: 'retry-video' },
          'aria-label': `Retry processing “${video.title}”`, on: { click: (event) => retry(event.currentTarget) },
        }));
      }
      if (admin) {
        buttons.push(h('button', {
          class: 'button button--outline button--small admin-row__danger', type: 'button', text: 'Delete', dataset: { testid: 'delete-video' },
          'aria-label': `Delete “${video.title}”`, on: { click: (event) => remove(event.currentTarget) },
        }));
      }
      const details = [
        video.duration ? formatDuration(video.duration) : null,
        formatViews(video.views),
        video.size_bytes ? formatBytes(video.size_bytes) : null,
        `uploaded ${formatDate(video.created_at)}`,
      ].filter(Boolean);
      replaceChildren(row,
        h('a', { class: 'admin-row__media admin-video__thumb', href: watchUrl(video.id), tabindex: '-1', 'aria-hidden': 'true' },
          video.thumbnail_url
            ? h('img', { src: video.thumbnail_url, alt: '', loading: 'lazy', width: 160, height: 90 })
            : h('span', { class: 'admin-video__no-thumb', text: statusLabel(video) })),
        h('div', { class: 'admin-row__main' },
          h('p', { class: 'admin-row__title' }, h('a', { href: watchUrl(video.id), text: video.title, dataset: { testid: 'admin-video-title' } })),
          h('p', { class: 'admin-row__meta' },
            ownerInfo.id ? h('a', { class: 'admin-row__detail', href: channelUrl(ownerInfo), text: displayName(ownerInfo) }) : null,
            pill(statusLabel(video), statusTone[video.status] ?? 'neutral'),
            pill(visibilityLabel(video.visibility), 'neutral'),
            video.hidden ? pill('Hidden', 'danger') : null,
            video.owner_suspended ? pill('Owner suspended', 'warn') : null),
          h('p', { class: 'admin-row__meta admin-row__meta--quiet', text: details.join(' · ') }),
          video.status === 'failed' && video.failure_reason
            ? h('p', { class: 'admin-row__error', text: video.failure_reason })
            : null),
        h('div', { class: 'admin-row__actions' }, buttons));
      row.dataset.hidden = String(Boolean(video.hidden));
      row.dataset.status = video.status;
    };
    const updated = (next, message, focusTestid) => {
      video = { ...video, ...next };
      draw();
      announcer.say(message);
      return row.querySelector(`[data-testid="${focusTestid}"]`) ?? row.querySelector('button');
    };
    function toggleHidden(opener) {
      const hiding = !video.hidden;
      openActionDialog({
        title: hiding ? 'Hide this video?' : 'Unhide this video?',
        text: hiding
          ? `“${video.title}” disappears from the site for everyone but its owner and staff: search, lists, the channel and its watch page.`
          : `“${video.title}” is shown again to everyone its visibility allows.`,
        confirmLabel: hiding ? 'Hide video' : 'Unhide video',
        variant: hiding ? 'danger' : 'primary',
        reasonRequired: hiding,
        run: async ({ reason }) => {
          const next = await adminApi.changeVideo(video.id, { hidden: hiding, reason });
          return updated(next, hiding ? `“${video.title}” is hidden.` : `“${video.title}” is shown again.`, hiding ? 'unhide-video' : 'hide-video');
        },
      }, opener);
    }
    function retry(opener) {
      openActionDialog({
        title: 'Retry processing?',
        text: `“${video.title}” is processed again from its original file.`,
        confirmLabel: 'Retry',
        run: async ({ reason }) => {
          const next = await adminApi.retryVideo(video.id, reason);
          return updated({ ...next, can_retry: false }, `“${video.title}” is being processed again.`, 'hide-video');
        },
      }, opener);
    }
    function remove(opener) {
      openActionDialog({
        title: 'Delete this video?',
        text: `“${video.title}” and its files, comments and ratings are deleted for good. This cannot be undone.`,
        confirmLabel: 'Delete video',
        variant: 'danger',
        confirmText: 'delete',
        run: async ({ reason }) => {
          await adminApi.deleteVideo(video.id, reason);
          const neighbour = row.nextElementSibling ?? row.previousElementSibling;
          row.remove();
          announcer.say(`“${video.title}” was deleted.`);
          return neighbour?.querySelector('button') ?? document.getElementById('admin-title');
        },
      }, opener);
    }
    draw();
    return row;
  }

  const pages = pager({
    label: 'Video pages',
    fetchPage: async (cursor) => {
      const values = filters.get();
      const page = await adminApi.videos({
        status: values.status, hidden: values.hidden, query: values.query.trim(), owner: values.owner.trim(), limit: 20, cursor,
      });
      return { items: page.videos ?? [], next_cursor: page.next_cursor };
    },
    renderItems: (videos) => {
      replaceChildren(list, videos.map(videoRow));
      if (videos.length === 0) list.append(h('li', {}, emptyRow('No videos match these filters.')));
    },
  });
  const bar = filterBar([status, hidden, query, owner], () => {
    filters.set({
      status: status.input.value, hidden: hidden.input.value, query: query.input.value.trim(), owner: owner.input.value.trim(),
    });
    pages.reload();
  }, { submitLabel: 'Search' });
  document.getElementById('admin-title')?.setAttribute('tabindex', '-1');
  replaceChildren(frame.body, bar, announcer.element, list, pages.element);
  await pages.reload();
}
