// The frame of the admin area (/admin/*): who may come in, the section navigation, the
// page heading, and the pieces the list pages share — filters kept in the address (so
// reload and Back keep them), Previous/Next paging over the API's cursors, and a polite
// status line. Visitors are asked to sign in; viewers and creators are told the area is
// not theirs; moderators do not see the admin-only sections (the API refuses them anyway).
import { h, replaceChildren } from '../dom.js';
import { isAdmin, isStaff, openReportCount } from '../admin.js';
import { loadSession } from '../session.js';
import { loginUrl } from '../urls.js';

export const sections = [
  { id: 'dashboard', path: '/admin', label: 'Dashboard' },
  { id: 'reports', path: '/admin/reports', label: 'Reports' },
  { id: 'users', path: '/admin/users', label: 'Users' },
  { id: 'videos', path: '/admin/videos', label: 'Videos' },
  { id: 'jobs', path: '/admin/jobs', label: 'Jobs', adminOnly: true },
  { id: 'audit', path: '/admin/audit', label: 'Audit log' },
  { id: 'settings', path: '/admin/settings', label: 'Settings', adminOnly: true },
];

function noticePage(main, { heading, text, actions, testid }) {
  document.head.append(h('meta', { name: 'robots', content: 'noindex' }));
  replaceChildren(main,
    h('section', { class: 'error-page', 'aria-labelledby': 'error-title', dataset: { testid } },
      h('h1', { class: 'error-page__title', id: 'error-title', text: heading }),
      h('p', { class: 'error-page__text', text }),
      h('div', { class: 'error-page__actions' }, actions)));
}

function sectionNav(user, current) {
  const visible = sections.filter((s) => !s.adminOnly || isAdmin(user));
  const badge = h('span', { class: 'admin-nav__badge', hidden: true, dataset: { testid: 'admin-nav-reports-count' } });
  const nav = h('nav', { class: 'admin-nav', 'aria-label': 'Admin sections' },
    h('p', { class: 'admin-nav__title', 'aria-hidden': 'true', text: 'Admin' }),
    h('ul', { class: 'admin-nav__list' },
      visible.map((s) => h('li', {},
        h('a', {
          class: 'admin-nav__link', href: s.path, 'aria-current': s.id === current ? 'page' : null,
          dataset: { testid: `admin-nav-${s.id}` },
        }, s.label, s.id === 'reports' ? badge : null)))));
  return {
    element: nav,
    // The open report count beside "Reports" (0 hides it).
    setOpenReports(count) {
      badge.textContent = count > 99 ? '99+' : String(count);
      badge.hidden = !(count > 0);
      const link = badge.parentElement;
      if (link) link.setAttribute('aria-label', count > 0 ? `Reports, ${count} open` : 'Reports');
    },
  };
}

// Renders the frame for `section` into main, or a notice for people who may not be here.
// Resolves to {user, body, actions, nav} (body: where the page goes; actions: beside the
// heading) or null when the page is not theirs.
export async function adminFrame(main, { section, heading, intro }) {
  const user = await loadSession();
  const spec = sections.find((s) => s.id === section);
  if (!user) {
    noticePage(main, {
      heading: 'Sign in to continue',
      text: 'The admin area is for the site’s moderators and admins. Sign in with a staff account to open it.',
      testid: 'admin-sign-in',
      actions: [
        h('a', { class: 'button button--primary', href: loginUrl(`${location.pathname}${location.search}`), text: 'Sign in' }),
        h('a', { class: 'button button--outline', href: '/', text: 'Go to the home page' }),
      ],
    });
    return null;
  }
  if (!isStaff(user) || (spec?.adminOnly && !isAdmin(user))) {
    document.title = 'Not allowed · monotube';
    noticePage(main, {
      heading: 'You can’t open this page',
      text: isStaff(user)
        ? 'Only the site’s admins can open this page.'
        : 'The admin area is only for the site’s moderators and admins. Your account doesn’t have access to it.',
      testid: 'admin-forbidden',
      actions: [
        isStaff(user) ? h('a', { class: 'button button--primary', href: '/admin', text: 'Go to the dashboard' }) : null,
        h('a', { class: isStaff(user) ? 'button button--outline' : 'button button--primary', href: '/', text: 'Go to the home page' }),
      ],
    });
    return null;
  }

  const nav = sectionNav(user, section);
  const actions = h('div', { class: 'admin__actions' });
  const body = h('div', { class: 'admin__body' });
  replaceChildren(main,
    h('div', { class: 'admin', dataset: { section } },
      nav.element,
      h('div', { class: 'admin__content' },
        h('header', { class: 'admin__header' },
          h('div', { class: 'admin__heading' },
            h('h1', { class: 'admin__title', id: 'admin-title', text: heading }),
            intro ? h('p', { class: 'admin__intro', text: intro }) : null),
          actions),
        body)));
  openReportCount().then((count) => nav.setOpenReports(count));
  // On narrow screens the sections scroll sideways: bring this one into view.
  const here = nav.element.querySelector('[aria-current="page"]');
  if (here && nav.element.scrollWidth > nav.element.clientWidth) {
    const box = nav.element.getBoundingClientRect();
    const link = here.getBoundingClientRect();
    nav.element.scrollLeft += link.left - box.left - (box.width - link.width) / 2;
  }
  return { user, body, actions, nav };
}

// ---------- filters in the address ----------

// defaults: {name: default value}. get() reads the current values from location.search;
// set(values) writes them back (defaults and empties left out) without a new history
// entry.
export function urlFilters(defaults) {
  const get = () => {
    const query = new URLSearchParams(location.search);
    const values = {};
    for (const [key, value] of Object.entries(defaults)) values[key] = query.get(key) ?? value;
    return values;
  };
  const set = (values) => {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(values)) {
      if (value !== '' && value !== null && value !== undefined && value !== defaults[key]) query.set(key, value);
    }
    const text = query.toString();
    history.replaceState(history.state, '', `${location.pathname}${text ? `?${text}` : ''}`);
  };
  return { get, set };
}

// A row of filter controls in a form (Enter or a change applies them). controls: the
// field objects of forms.js; onApply() runs with nothing (the caller reads the inputs).
export function filterBar(controls, onApply, { submitLabel = 'Apply' } = {}) {
  const apply = h('button', { class: 'button button--outline button--small admin-filters__apply', type: 'submit', text: submitLabel });
  const form = h('form', { class: 'admin-filters', role: 'search', 'aria-label': 'Filters' },
    controls.map((c) => c.element), h('div', { class: 'admin-filters__buttons' }, apply));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    onApply();
  });
  for (const c of controls) {
    if (c.input.tagName === 'SELECT') c.input.addEventListener('change', () => onApply());
  }
  return form;
}

// ---------- paging ----------

// Previous/Next over cursor pages. fetchPage(cursor) resolves to {items, next_cursor};
// renderItems(items) shows them (and returns nothing). The first page has cursor null.
export function pager({ fetchPage, renderItems, label = 'Pages' }) {
  const stack = [null]; // the cursor of each page seen, the current one last
  let next = null;
  let generation = 0;
  const previousButton = h('button', { class: 'button button--outline button--small', type: 'button', text: 'Previous', dataset: { testid: 'page-previous' } });
  const nextButton = h('button', { class: 'button button--outline button--small', type: 'button', text: 'Next', dataset: { testid: 'page-next' } });
  const where = h('span', { class: 'admin-pager__where', 'aria-live': 'polite' });
  const alert = h('div', { class: 'notice notice--error', role: 'alert', hidden: true });
  const element = h('div', { class: 'admin-pager-wrap' }, alert,
    h('nav', { class: 'admin-pager', 'aria-label': label }, previousButton, where, nextButton));

  const show = async () => {
    const mine = ++generation;
    previousButton.disabled = true;
    nextButton.disabled = true;
    try {
      const page = await fetchPage(stack[stack.length - 1]);
      if (mine !== generation) return;
      next = page.next_cursor ?? null;
      renderItems(page.items);
      alert.hidden = true;
    } catch (error) {
      if (mine !== generation) return;
      renderItems([]);
      replaceChildren(alert, h('p', { text: `This list could not be loaded. ${error.message}` }));
      alert.hidden = false;
    }
    previousButton.disabled = stack.length <= 1;
    nextButton.disabled = !next;
    where.textContent = `Page ${stack.length}`;
    element.querySelector('.admin-pager').hidden = stack.length <= 1 && !next;
  };
  previousButton.addEventListener('click', () => {
    if (stack.length > 1) stack.pop();
    show();
  });
  nextButton.addEventListener('click', () => {
    if (!next) return;
    stack.push(next);
    show();
  });
  return {
    element,
    // From the first page again (new filters).
    reload() {
      stack.length = 1;
      return show();
    },
    // The same page again (after a change).
    refresh: show,
  };
}

// ---------- small pieces ----------

// A polite status line for what an action did.
export function statusLine() {
  const element = h('p', { class: 'admin__status', role: 'status', dataset: { testid: 'admin-status' } });
  return {
    element,
    say(text) {
      element.textContent = '';
      setTimeout(() => {
        element.textContent = text;
      }, 30);
    },
  };
}

export function emptyRow(text) {
  return h('p', { class: 'admin-empty', dataset: { testid: 'admin-empty' }, text });
}

// A label: value pair in a definition list.
export function fact(term, ...value) {
  return [h('dt', { class: 'admin-facts__term', text: term }), h('dd', { class: 'admin-facts__value' }, ...value)];
}

export function pill(text, tone = 'neutral') {
  return h('span', { class: `admin-pill admin-pill--${tone}`, text });
}
