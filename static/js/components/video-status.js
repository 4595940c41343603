// The status of a video that is not (yet) watchable: uploading, processing with its
// progress, or failed with the reason, in words and with a progress bar. update(video)
// follows the changes; the text is a polite live region.
import { h } from '../dom.js';
import { clampPercent, statusLabel, statusSentence } from '../videos.js';
import { progressBar } from './progress-bar.js';

export function statusBadge(video) {
  return h('span', {
    class: `status-badge status-badge--${video.status}`, dataset: { testid: 'video-status' }, text: statusLabel(video),
  });
}

export function videoStatusPanel(video, { compact = false } = {}) {
  const title = h('p', { class: 'video-status__title' });
  const text = h('p', { class: 'video-status__text', dataset: { testid: 'video-status-text' } });
  const bar = progressBar({ label: 'Processing progress' });
  const element = h('div', {
    class: `video-status${compact ? ' video-status--compact' : ''}`, role: 'status', dataset: { testid: 'status-panel' },
  }, title, text, bar.element);
  const update = (next) => {
    element.dataset.status = next.status;
    title.textContent = {
      uploading: 'Waiting for the upload to finish',
      processing: 'Processing',
      ready: 'Ready',
      failed: 'This video could not be processed',
    }[next.status] ?? statusLabel(next);
    text.textContent = statusSentence(next);
    bar.element.hidden = next.status !== 'processing';
    if (next.status === 'processing') {
      const percent = clampPercent(next.progress);
      bar.set(percent, `${percent} %`);
    }
  };
  update(video);
  return { element, update };
}
