// /upload: creators pick or drop one or more video files; each becomes a row with its
// own resumable upload (tus, through the vendored tus-js-client), a progress bar, pause /
// resume / cancel, the video's details (saved with PATCH once the video exists), and then
// the live processing status until the video is ready or has failed.
//
// Uploads survive a closed tab or a dropped connection: tus-js-client remembers each
// upload's URL in localStorage under the file's fingerprint, so choosing the same file
// again continues where it stopped.
import { siteSettings } from '../admin.js';
import { ApiError, api, csrfHeaders } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { formAlert, formStatus, navigate, onSubmit, showApiError, showMessage } from '../forms.js';
import { formatBytes, timeAgo } from '../format.js';
import { progressBar } from '../components/progress-bar.js';
import { videoFields } from '../components/video-fields.js';
import { videoStatusPanel } from '../components/video-status.js';
import { loadSession } from '../session.js';
import { loginUrl, myVideosUrl, watchUrl } from '../urls.js';
import {
  canUpload, fetchVideo, followVideo, parseTags, titleFromFileName, updateVideo,
} from '../videos.js';

export const name = 'upload';
export const title = 'Upload videos';

const endpoint = '/api/uploads';
const chunkSize = 8 * 1024 * 1024;
const retryDelays = [0, 1000, 3000, 5000, 10000, 20000];
const accept = 'video/*,.mp4,.m4v,.mov,.mkv,.webm,.avi,.wmv,.flv,.mpg,.mpeg,.ts,.mts,.m2ts,.3gp,.ogv';

let tusLoading = null;

// tus-js-client's browser build is a classic script that defines window.tus.
function loadTus() {
  tusLoading ??= new Promise((resolve, reject) => {
    if (window.tus) {
      resolve(window.tus);
      return;
    }
    const script = h('script', { src: '/vendor/tus-js-client/tus.min.js' });
    script.addEventListener('load', () => resolve(window.tus));
    script.addEventListener('error', () => {
      tusLoading = null;
      reject(new Error('The upload code could not be loaded. Check your connection and reload the page.'));
    });
    document.head.append(script);
  });
  return tusLoading;
}

// The server's {"error": {...}} from a failed tus request, as an ApiError (or null).
function apiErrorFrom(tusError) {
  const response = tusError?.originalResponse;
  if (!response) return null;
  const status = response.getStatus();
  let body = null;
  try {
    body = JSON.parse(response.getBody() || 'null');
  } catch {
    body = null;
  }
  const error = body?.error;
  return new ApiError(status, error?.code ?? `http_${status}`,
    error?.message ?? `The upload was refused (the server answered ${status}).`, { fields: error?.fields ?? {} });
}

const videoIdFromUrl = (url) => decodeURIComponent(String(url).replace(/[?#].*$/, '').split('/').filter(Boolean).pop());

function percentOf(sent, total) {
  return total > 0 ? Math.min(100, Math.floor((sent / total) * 100)) : 0;
}

// One file's row: its upload, its details form and then its processing status.
class UploadItem {
  constructor(file, { tus, limits, onChange, onRemove, detailsOpen = true }) {
    this.file = file;
    this.tus = tus;
    this.limits = limits;
    this.onChange = onChange;
    this.onRemove = onRemove;
    this.upload = null;
    this.videoId = null;
    this.video = null;
    this.state = 'starting';
    this.pendingSave = false;
    this.follow = new AbortController();
    this.detailsOpen = detailsOpen;
    this.build();
  }

  build() {
    const file = this.file;
    this.stateText = h('p', { class: 'upload-item__state', dataset: { testid: 'upload-state' } });
    this.progress = progressBar({ label: `Upload of ${file.name}`, className: 'upload-item__progress' });
    this.progress.element.dataset.testid = 'upload-progress';
    this.pauseButton = h('button', {
      class: 'button button--outline button--small', type: 'button', dataset: { testid: 'pause-button' },
      on: { click: () => this.togglePause() },
    });
    this.cancelButton = h('button', {
      class: 'button button--small', type: 'button', text: 'Cancel', dataset: { testid: 'cancel-button' },
      'aria-label': `Cancel the upload of ${file.name}`, on: { click: () => this.cancel() },
    });
    this.watchLink = h('a', { class: 'button button--primary button--small', hidden: true, text: 'Watch', dataset: { testid: 'watch-link' } });
    this.alert = formAlert();
    this.statusPanel = null;
    this.statusSlot = h('div', { class: 'upload-item__status' });

    this.details = videoFields({ title: titleFromFileName(file.name) });
    this.saveStatus = formStatus();
    this.saveAlert = formAlert();
    this.saveButton = h('button', { class: 'button button--outline', type: 'submit', text: 'Save details' });
    this.form = h('form', { class: 'form upload-item__form', method: 'post', action: '/upload' },
      this.saveAlert,
      h('div', { class: 'upload-item__fields' }, this.details.fields.map((f) => f.element)),
      h('div', { class: 'form__actions' }, this.saveButton), this.saveStatus);
    onSubmit(this.form, {
      alert: this.saveAlert, status: this.saveStatus, submit: this.saveButton, fields: this.details.fields,
    }, () => this.saveDetails());

    this.thumb = h('div', { class: 'upload-item__thumb', hidden: true });
    const headingId = `upload-${Math.random().toString(36).slice(2)}`;
    this.element = h('li', {
      class: 'upload-item', dataset: { testid: 'upload-item', fileName: file.name }, 'aria-labelledby': headingId,
    },
    h('div', { class: 'upload-item__head' },
      this.thumb,
      h('div', { class: 'upload-item__info' },
        h('h2', { class: 'upload-item__name', id: headingId, text: file.name }),
        h('p', { class: 'upload-item__size', text: formatBytes(file.size) })),
      h('div', { class: 'upload-item__actions' }, this.pauseButton, this.cancelButton, this.watchLink)),
    this.progress.element,
    this.stateText,
    this.alert,
    this.statusSlot,
    // Several files at once: the details start folded, so every row's progress shows.
    h('details', { class: 'upload-item__details', open: this.detailsOpen },
      h('summary', { class: 'upload-item__summary' }, 'Details ',
        h('span', { class: 'upload-item__summary-hint', text: 'title, description, tags, visibility' })),
      this.form));
    this.render();
  }

  setState(state, text) {
    this.state = state;
    this.element.dataset.state = state;
    if (text !== undefined) this.stateText.textContent = text;
    this.render();
    this.onChange();
  }

  render() {
    const { state } = this;
    const uploading = state === 'uploading' || state === 'starting';
    this.pauseButton.hidden = !(uploading || state === 'paused' || state === 'error');
    this.pauseButton.disabled = state === 'starting';
    this.pauseButton.textContent = state === 'paused' ? 'Resume' : state === 'error' ? 'Try again' : 'Pause';
    this.pauseButton.setAttribute('aria-label', `${this.pauseButton.textContent} the upload of ${this.file.name}`);
    this.cancelButton.hidden = !(uploading || state === 'paused' || state === 'error' || state === 'refused');
    this.cancelButton.textContent = state === 'refused' ? 'Remove' : 'Cancel';
    this.progress.element.hidden = !(uploading || state === 'paused' || state === 'error');
    if (this.videoId && this.video?.status === 'ready') {
      this.watchLink.href = watchUrl(this.videoId);
      this.watchLink.hidden = false;
    }
  }

  showProgress(sent, total) {
    const percent = percentOf(sent, total);
    const text = `${formatBytes(sent)} of ${formatBytes(total)} · ${percent} %`;
    this.progress.set(percent, text);
    return text;
  }

  metadata() {
    const values = this.details.values();
    return {
      filename: this.file.name,
      filetype: this.file.type || 'application/octet-stream',
      title: values.title || titleFromFileName(this.file.name),
      description: values.description,
      tags: values.tags.join(','),
      visibility: values.visibility,
    };
  }

  async start() {
    const { file, limits } = this;
    if (limits.maxUploadBytes > 0 && file.size > limits.maxUploadBytes) {
      this.refuse(`This file is ${formatBytes(file.size)}; the largest upload allowed is ${formatBytes(limits.maxUploadBytes)}.`);
      return;
    }
    if (file.size === 0) {
      this.refuse('This file is empty.');
      return;
    }
    this.setState('starting', 'Starting the upload…');
    this.progress.set(0, `0 bytes of ${formatBytes(file.size)}`);
    this.upload = this.newUpload();
    let previous = [];
    try {
      previous = await this.upload.findPreviousUploads();
    } catch {
      previous = [];
    }
    if (previous.length > 0) {
      // The newest earlier attempt of this same file.
      previous.sort((a, b) => String(b.creationTime).localeCompare(String(a.creationTime)));
      this.upload.resumeFromPreviousUpload(previous[0]);
      this.stateText.textContent = 'Continuing an earlier upload of this file…';
      this.resumed = true;
    }
    this.upload.start();
  }

  newUpload() {
    const { tus, file } = this;
    // What the creation request carries; the form may change before the video exists.
    this.sentMetadata = this.metadata();
    return new tus.Upload(file, {
      endpoint,
      chunkSize,
      retryDelays,
      metadata: this.sentMetadata,
      headers: csrfHeaders(),
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onUploadUrlAvailable: () => this.created(),
      onProgress: (sent, total) => {
        if (this.state !== 'uploading' && this.state !== 'starting') return;
        const text = this.showProgress(sent, total);
        if (this.state === 'starting') this.setState('uploading');
        this.stateText.textContent = `Uploading… ${text}`;
      },
      onShouldRetry: (error, retryAttempt, options) => {
        const status = error?.originalResponse?.getStatus() ?? 0;
        // Refusals (too large, bad details, not allowed) will not change by trying again.
        if (status >= 400 && status < 500 && status !== 409 && status !== 423 && status !== 429) return false;
        return retryAttempt < options.retryDelays.length;
      },
      onError: (error) => this.failed(error),
      onSuccess: () => this.finished(),
    });
  }

  // Called each time the upload (re)starts with a known URL; the first time, the video
  // has just been created (or found again, for an earlier upload of the same file).
  async created() {
    const first = !this.videoId;
    this.videoId = videoIdFromUrl(this.upload.url);
    this.element.dataset.videoId = this.videoId;
    if (this.state === 'starting') this.setState('uploading', 'Uploading…');
    if (!first) return;
    if (this.resumed) {
      // The details were chosen last time: show them, not the file name.
      try {
        this.video = await fetchVideo(this.videoId);
        this.details.fill(this.video);
      } catch {
        // The form keeps what it has; saving it still works.
      }
    } else {
      // What the creation sent (not what the form holds now: it may have been edited while
      // the video was being created), so that "Save details" sends every change since.
      const sent = this.sentMetadata;
      this.video = { title: sent.title, description: sent.description, tags: parseTags(sent.tags), visibility: sent.visibility };
    }
    if (this.pendingSave) {
      this.pendingSave = false;
      this.form.requestSubmit();
    }
  }

  async saveDetails() {
    if (!this.videoId) {
      if (this.state === 'starting' || this.state === 'uploading') {
        this.pendingSave = true;
        return 'The details will be saved as soon as the upload has started.';
      }
      // Not created yet (e.g. refused details): they go with the next try.
      return 'The details will be used when the upload is tried again.';
    }
    const changes = this.details.changes(this.video);
    if (Object.keys(changes).length === 0) return 'Nothing to save: the details are as they were.';
    this.video = await updateVideo(this.videoId, changes);
    this.details.fill(this.video);
    return 'Details saved.';
  }

  async togglePause() {
    if (this.state === 'paused') {
      this.setState('uploading', 'Resuming…');
      this.upload.start();
    } else if (this.state === 'error') {
      showMessage(this.alert);
      this.details.clearErrors();
      if (!this.upload.url) this.upload = this.newUpload(); // never created: send the details again
      this.setState('starting', 'Trying again…');
      this.upload.start();
    } else if (this.state === 'uploading') {
      this.pauseButton.disabled = true;
      await this.upload.abort();
      this.setState('paused', `Paused at ${this.progress.element.getAttribute('aria-valuetext') ?? '0 %'}`);
    }
  }

  async cancel() {
    if (this.state === 'refused') {
      this.remove('removed');
      return;
    }
    this.cancelButton.disabled = true;
    this.pauseButton.disabled = true;
    try {
      // true: also end it on the server (tus termination), which deletes the video.
      await this.upload?.abort(Boolean(this.upload?.url));
    } catch (error) {
      // Already gone on the server is what was asked for.
      if (apiErrorFrom(error)?.status !== 404) {
        showMessage(this.alert, 'The upload could not be cancelled on the server. Delete the video from My videos.');
        this.cancelButton.disabled = false;
        return;
      }
    }
    this.remove('cancelled');
  }

  remove(how) {
    this.follow.abort();
    this.element.remove();
    this.onRemove(this, how);
  }

  refuse(message) {
    this.setState('refused', '');
    showMessage(this.alert, message);
  }

  failed(error) {
    const apiError = apiErrorFrom(error);
    if (apiError && !this.upload.url && apiError.status >= 400 && apiError.status < 500) {
      // The creation was refused: bad details go next to their fields and can be fixed.
      const byField = showApiError(apiError, { alert: this.alert, fields: this.details.fields });
      if (byField || apiError.status === 400) {
        this.setState('error', 'Fix the details below, then try again.');
      } else {
        this.setState('refused', '');
      }
      return;
    }
    const message = apiError?.message ?? 'The connection to the server was lost.';
    showMessage(this.alert, `${message} The upload stopped; it continues from where it was when you try again.`);
    this.setState('error', `Stopped at ${this.progress.element.getAttribute('aria-valuetext') ?? '0 %'}`);
  }

  async finished() {
    this.showProgress(this.file.size, this.file.size);
    this.setState('uploaded', 'Uploaded. Processing starts in a moment…');
    let video = null;
    try {
      video = await fetchVideo(this.videoId);
    } catch (error) {
      showMessage(this.alert, `The upload finished, but its status could not be loaded: ${error.message}`);
    }
    if (video) this.showVideo(video);
    followVideo(this.videoId, {
      signal: this.follow.signal,
      onUpdate: (next) => this.showVideo(next),
      onGone: () => this.setState('gone', 'This video has been deleted.'),
    });
  }

  showVideo(video) {
    this.video = { ...video };
    if (video.thumbnail_url && this.thumb.hidden) {
      replaceChildren(this.thumb, h('img', { src: video.thumbnail_url, alt: '', width: 128, height: 72, decoding: 'async' }));
      this.thumb.hidden = false;
    }
    if (!this.statusPanel) {
      this.statusPanel = videoStatusPanel(video, { compact: true });
      this.statusSlot.append(this.statusPanel.element);
    } else {
      this.statusPanel.update(video);
    }
    // The status panel says the rest.
    this.setState(video.status, video.status === 'uploading' ? 'Uploaded. Processing starts in a moment…' : '');
  }
}

function noticePage(main, { heading, text, actions = [] }) {
  replaceChildren(main,
    h('section', { class: 'error-page', 'aria-labelledby': 'error-title' },
      h('h1', { class: 'error-page__title', id: 'error-title', text: heading }),
      h('p', { class: 'error-page__text', text }),
      h('div', { class: 'error-page__actions' }, actions)));
}

// The quota from the creator's own list; the largest upload from the live site settings
// (GET /api/site: the admins can change it), else from the quota.
async function loadLimits() {
  const [mine, site] = await Promise.all([
    api('/api/me/videos?limit=1').catch(() => null),
    siteSettings(),
  ]);
  const quota = mine?.quota;
  const siteMax = Number(site?.max_upload_bytes) || 0;
  return {
    usedBytes: Number(quota?.used_bytes) || 0,
    limitBytes: Number(quota?.limit_bytes) || 0,
    maxUploadBytes: siteMax || Number(quota?.max_upload_bytes) || 0,
  };
}

// Uploads this browser started and never finished, from tus-js-client's storage.
async function unfinishedUploads(tus, { onDiscard }) {
  const storage = tus.defaultOptions?.urlStorage;
  let entries = [];
  try {
    entries = (await storage?.findAllUploads()) ?? [];
  } catch {
    entries = [];
  }
  if (entries.length === 0) return null;
  const list = h('ul', { class: 'unfinished__list' });
  const section = h('section', { class: 'unfinished', 'aria-labelledby': 'unfinished-title', dataset: { testid: 'unfinished-uploads' } },
    h('h2', { class: 'unfinished__title', id: 'unfinished-title', text: 'Unfinished uploads' }),
    h('p', { class: 'unfinished__text', text: 'Choose the same file again to continue where it stopped.' }),
    list);
  for (const entry of entries) {
    const fileName = entry.metadata?.filename ?? 'A file';
    const discard = h('button', {
      class: 'button button--small', type: 'button', text: 'Discard', 'aria-label': `Discard the unfinished upload of ${fileName}`,
    });
    const item = h('li', { class: 'unfinished__item' },
      h('span', { class: 'unfinished__name', text: fileName }),
      h('span', { class: 'unfinished__meta', text: [formatBytes(entry.size), entry.creationTime ? `started ${timeAgo(entry.creationTime)}` : ''].filter(Boolean).join(' · ') }),
      discard);
    discard.addEventListener('click', async () => {
      discard.disabled = true;
      try {
        if (entry.uploadUrl) await tus.Upload.terminate(entry.uploadUrl, { headers: csrfHeaders(), retryDelays: [0, 1000] });
      } catch {
        // Gone on the server already (or unreachable): forgetting it here is still right.
      }
      await storage.removeUpload(entry.urlStorageKey);
      item.remove();
      if (!list.firstChild) section.remove();
      onDiscard?.();
    });
    list.append(item);
  }
  return section;
}

export async function render(main) {
  const user = await loadSession();
  if (!user) {
    navigate(loginUrl('/upload'), { replace: true });
    return;
  }
  if (!canUpload(user)) {
    noticePage(main, {
      heading: 'Uploading is for creators',
      text: 'Your account can watch, comment and subscribe, but not upload videos. Ask the site’s administrator to make your account a creator account.',
      actions: [h('a', { class: 'button button--primary', href: '/', text: 'Go to the home page' })],
    });
    return;
  }

  let tus;
  try {
    [tus] = await Promise.all([loadTus()]);
  } catch (error) {
    replaceChildren(main, h('div', { class: 'notice notice--error', role: 'alert' }, h('p', { text: error.message })));
    return;
  }
  const limits = await loadLimits();
  const items = new Set();
  const announcer = h('p', { class: 'visually-hidden', role: 'status' });

  const input = h('input', {
    class: 'visually-hidden dropzone__input', id: 'upload-files', type: 'file', multiple: true, accept,
    dataset: { testid: 'upload-input' },
  });
  const dropzone = h('div', { class: 'dropzone', dataset: { testid: 'dropzone' } },
    uploadArt(),
    h('p', { class: 'dropzone__title', text: 'Drag and drop video files here' }),
    h('p', { class: 'dropzone__text', text: 'or' }),
    input,
    h('label', { class: 'button button--primary dropzone__button', for: 'upload-files', text: 'Choose files' }),
    h('p', {
      class: 'dropzone__hint', dataset: { testid: 'upload-max-size' },
      text: ['MP4, MOV, WebM, AVI, MKV and other video files; several at once.',
        limits.maxUploadBytes > 0 ? `Up to ${formatBytes(limits.maxUploadBytes)} each.` : ''].filter(Boolean).join(' '),
    }));

  const list = h('ul', { class: 'upload-list', 'aria-label': 'Uploads', dataset: { testid: 'upload-list' } });
  const quota = limits.limitBytes > 0
    ? h('p', { class: 'upload-page__quota', text: `You have used ${formatBytes(limits.usedBytes)} of your ${formatBytes(limits.limitBytes)} of storage.` })
    : null;

  const active = () => [...items].some((item) => item.state === 'uploading' || item.state === 'starting');
  const addFiles = (files) => {
    for (const file of files) {
      const item = new UploadItem(file, {
        tus,
        limits,
        detailsOpen: files.length === 1,
        onChange: () => {},
        onRemove: (removed, how) => {
          items.delete(removed);
          announcer.textContent = how === 'cancelled' ? `The upload of ${removed.file.name} was cancelled.` : '';
        },
      });
      items.add(item);
      list.append(item.element);
      item.start();
    }
    announcer.textContent = files.length === 1 ? `Uploading ${files[0].name}.` : `Uploading ${files.length} files.`;
  };

  input.addEventListener('change', () => {
    const files = Array.from(input.files ?? []);
    input.value = '';
    if (files.length > 0) addFiles(files);
  });
  let depth = 0;
  dropzone.addEventListener('dragenter', (event) => {
    event.preventDefault();
    depth += 1;
    dropzone.classList.add('dropzone--over');
  });
  dropzone.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) dropzone.classList.remove('dropzone--over');
  });
  // Files dropped anywhere on the page are taken too, rather than opened by the browser.
  const controller = new AbortController();
  document.addEventListener('dragover', (event) => {
    if (event.dataTransfer?.types?.includes('Files')) {
      event.preventDefault();
      event.dataTransfer.dropEffect = 'copy';
    }
  }, { signal: controller.signal });
  document.addEventListener('drop', (event) => {
    if (!event.dataTransfer?.files?.length) return;
    event.preventDefault();
    depth = 0;
    dropzone.classList.remove('dropzone--over');
    addFiles(Array.from(event.dataTransfer.files));
  }, { signal: controller.signal });
  window.addEventListener('beforeunload', (event) => {
    if (!active()) return;
    event.preventDefault();
    event.returnValue = '';
  }, { signal: controller.signal });

  const unfinished = await unfinishedUploads(tus, {});
  replaceChildren(main,
    h('section', { class: 'upload-page', 'aria-labelledby': 'upload-title' },
      h('header', { class: 'page-header' },
        h('div', { class: 'page-header__text' },
          h('h1', { class: 'page-header__title', id: 'upload-title', text: 'Upload videos' }),
          h('p', { class: 'page-header__intro', text: 'Uploads continue where they stopped if the connection drops. You can fill in the details while a file uploads.' }),
          quota),
        h('a', { class: 'button button--outline', href: myVideosUrl, text: 'My videos' })),
      dropzone,
      unfinished,
      list,
      announcer));
}

// A cloud with an arrow (decorative).
function uploadArt() {
  const SVG = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(SVG, 'svg');
  for (const [k, v] of Object.entries({ class: 'dropzone__art', viewBox: '0 0 48 48', width: 56, height: 56, 'aria-hidden': 'true', focusable: 'false' })) {
    svg.setAttribute(k, String(v));
  }
  const path = (d, cls) => {
    const p = document.createElementNS(SVG, 'path');
    p.setAttribute('d', d);
    p.setAttribute('class', cls);
    return p;
  };
  svg.append(
    path('M14 36h-1a9 9 0 0 1-1.6-17.9A12 12 0 0 1 34.6 15 8.5 8.5 0 0 1 35 36h-1', 'dropzone__art-cloud'),
    path('M24 40V22m-7 7 7-7 7 7', 'dropzone__art-arrow'));
  return svg;
}
