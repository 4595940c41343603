// /admin/jobs (admins): the background jobs — transcoding, clean-ups, mail — newest
// first, filtered by state, with their attempts, last error and what they work on.
// Failed and cancelled jobs can be retried, queued and running ones cancelled.
import { h, replaceChildren } from '../../dom.js';
import { selectField } from '../../forms.js';
import { adminApi, jobStates } from '../../admin.js';
import {
  adminFrame, emptyRow, pager, pill, statusLine, urlFilters,
} from '../../components/admin-layout.js';
import { openActionDialog } from '../../components/action-dialog.js';
import { formatDateTime, timeAgo } from '../../format.js';

export const name = 'admin-jobs';
export const title = 'Jobs · Admin';

const stateTone = {
  queued: 'info', running: 'info', succeeded: 'success', failed: 'danger', cancelled: 'neutral',
};
const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);

// {"video_id": "abc", "attempt": 2} -> "video_id: abc · attempt: 2"
function describePayload(payload) {
  if (!payload || typeof payload !== 'object') return '';
  return Object.entries(payload)
    .map(([key, value]) => `${key}: ${typeof value === 'object' ? JSON.stringify(value) : value}`)
    .join(' · ');
}

export async function render(main) {
  const frame = await adminFrame(main, {
    section: 'jobs', heading: 'Jobs', intro: 'The work the server does in the background.',
  });
  if (!frame) return;
  const filters = urlFilters({ state: '' });
  const initial = filters.get();
  const state = selectField({
    name: 'state', label: 'State', value: initial.state,
    options: [{ value: '', label: 'Any state' }, ...jobStates.map((s) => ({ value: s, label: capital(s) }))],
  });
  const counts = h('p', { class: 'admin__note', dataset: { testid: 'job-counts' } });
  const list = h('ul', { class: 'admin-list', 'aria-labelledby': 'admin-title', dataset: { testid: 'admin-jobs' } });
  const announcer = statusLine();

  function jobRow(initialJob) {
    let job = initialJob;
    const row = h('li', { class: 'admin-row admin-job', dataset: { testid: 'admin-job', jobId: job.id } });
    const draw = () => {
      const buttons = [];
      if (job.state === 'failed' || job.state === 'cancelled') {
        buttons.push(h('button', {
          class: 'button button--outline button--small', type: 'button', text: 'Retry', dataset: { testid: 'retry-job' },
          'aria-label': `Retry job ${job.id}`, on: { click: (event) => act(event.currentTarget, 'retry') },
        }));
      }
      if (job.state === 'queued' || job.state === 'running') {
        buttons.push(h('button', {
          class: 'button button--outline button--small admin-row__danger', type: 'button', text: 'Cancel', dataset: { testid: 'cancel-job' },
          'aria-label': `Cancel job ${job.id}`, on: { click: (event) => act(event.currentTarget, 'cancel') },
        }));
      }
      const payload = describePayload(job.payload);
      replaceChildren(row,
        h('div', { class: 'admin-row__main' },
          h('p', { class: 'admin-row__title' },
            h('span', { class: 'admin-job__type', text: job.type }),
            h('span', { class: 'admin-row__sub', text: ` #${job.id}` })),
          h('p', { class: 'admin-row__meta' },
            pill(capital(job.state), stateTone[job.state] ?? 'neutral'),
            h('span', { class: 'admin-row__detail', dataset: { testid: 'job-attempts' }, text: `attempt ${job.attempts} of ${job.max_attempts}` }),
            h('span', { class: 'admin-row__detail' }, 'created ',
              h('time', { datetime: job.created_at, title: formatDateTime(job.created_at), text: timeAgo(job.created_at) })),
            job.state === 'queued' && job.run_at
              ? h('span', { class: 'admin-row__detail', text: `runs ${timeAgo(job.run_at)}` })
              : null,
            job.lease_owner && job.state === 'running' ? h('span', { class: 'admin-row__detail', text: `on ${job.lease_owner}` }) : null),
          payload ? h('p', { class: 'admin-row__meta admin-row__meta--quiet admin-job__payload', text: payload }) : null,
          job.last_error
            ? h('details', { class: 'admin-job__error' },
              h('summary', { text: 'Last error' }),
              h('pre', { class: 'admin-job__error-text', dataset: { testid: 'job-error' }, text: job.last_error }))
            : null),
        buttons.length ? h('div', { class: 'admin-row__actions' }, buttons) : null);
      row.dataset.state = job.state;
    };
    function act(opener, action) {
      openActionDialog({
        title: action === 'retry' ? `Retry job #${job.id}?` : `Cancel job #${job.id}?`,
        text: action === 'retry'
          ? `The ${job.type} job is queued again with a fresh count of attempts.`
          : `The ${job.type} job is stopped and not tried again unless someone retries it.`,
        confirmLabel: action === 'retry' ? 'Retry job' : 'Cancel job',
        variant: action === 'retry' ? 'primary' : 'danger',
        run: async ({ reason }) => {
          job = await adminApi.jobAction(job.id, action, reason);
          draw();
          announcer.say(action === 'retry' ? `Job #${job.id} is queued again.` : `Job #${job.id} is cancelled.`);
          return row.querySelector('button') ?? row;
        },
      }, opener);
    }
    draw();
    return row;
  }

  const pages = pager({
    label: 'Job pages',
    fetchPage: async (cursor) => {
      const page = await adminApi.jobs({ state: filters.get().state, limit: 25, cursor });
      const byState = page.counts ?? {};
      counts.textContent = jobStates.map((s) => `${capital(s)}: ${Number(byState[s]) || 0}`).join(' · ');
      return { items: page.jobs ?? [], next_cursor: page.next_cursor };
    },
    renderItems: (jobs) => {
      replaceChildren(list, jobs.map(jobRow));
      if (jobs.length === 0) list.append(h('li', {}, emptyRow('No jobs in this state.')));
    },
  });
  state.input.addEventListener('change', () => {
    filters.set({ state: state.input.value });
    pages.reload();
  });
  document.getElementById('admin-title')?.setAttribute('tabindex', '-1');
  replaceChildren(frame.body,
    h('div', { class: 'admin-filters admin-filters--inline' }, state.element), counts, announcer.element, list, pages.element);
  await pages.reload();
}
