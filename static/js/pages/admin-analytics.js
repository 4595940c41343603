// /admin/analytics: the site's figures on a page of their own, for admins (the admin
// dashboard shows the same component, components/site-analytics.js, below its cards).
import { h, replaceChildren } from '../dom.js';
import { mountSiteAnalytics } from '../components/site-analytics.js';
import { navigate } from '../forms.js';
import { loadSession } from '../session.js';
import { loginUrl, studioUrl } from '../urls.js';

export const name = 'admin-analytics';
export const title = 'Site analytics';

export async function render(main) {
  const user = await loadSession();
  if (!user) {
    navigate(loginUrl(`${location.pathname}${location.search}`), { replace: true });
    return;
  }
  if (user.role !== 'admin') {
    replaceChildren(main,
      h('section', { class: 'error-page', 'aria-labelledby': 'error-title', dataset: { testid: 'analytics-forbidden' } },
        h('h1', { class: 'error-page__title', id: 'error-title', text: 'Site analytics are for administrators' }),
        h('p', { class: 'error-page__text', text: 'Your account cannot see the figures of the whole site. Your own channel’s figures are in your studio.' }),
        h('div', { class: 'error-page__actions' },
          h('a', { class: 'button button--primary', href: studioUrl, text: 'Go to your studio' }))));
    return;
  }
  const container = h('div', { class: 'analytics' });
  replaceChildren(main, container);
  await mountSiteAnalytics(container, { headingLevel: 1 }).ready;
}
