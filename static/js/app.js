// Entry point of the web UI. index.html is the only HTML document: this module wires
// the shared header, finds the page for the current path in `routes`, and lets that
// page's module render into <main>. A path no route matches shows the not-found view
// (the server answers such paths with status 404 and this same shell).
//
// Adding a page: one line here, and App::AddPage("/same/{pattern}") on the server so
// the path answers 200. Patterns use the server's syntax: "/watch/{video_id}".
import { showFlash } from './flash.js';
import { initHeader } from './header.js';

const routes = [
  { pattern: '/', load: () => import('./pages/home.js') },
  { pattern: '/login', load: () => import('./pages/login.js') },
  { pattern: '/signup', load: () => import('./pages/signup.js') },
  { pattern: '/forgot-password', load: () => import('./pages/forgot-password.js') },
  { pattern: '/reset-password', load: () => import('./pages/reset-password.js') },
  { pattern: '/settings', load: () => import('./pages/settings.js') },
  { pattern: '/channel/{user_id}', load: () => import('./pages/channel.js') },
  { pattern: '/upload', load: () => import('./pages/upload.js') },
  { pattern: '/watch/{video_id}', load: () => import('./pages/watch.js') },
  { pattern: '/my/videos', load: () => import('./pages/my-videos.js') },
  { pattern: '/feed/subscriptions', load: () => import('./pages/subscriptions.js') },
  { pattern: '/search', load: () => import('./pages/search.js') },
  { pattern: '/admin', load: () => import('./pages/admin/dashboard.js') },
  { pattern: '/admin/users', load: () => import('./pages/admin/users.js') },
  { pattern: '/admin/videos', load: () => import('./pages/admin/videos.js') },
  { pattern: '/admin/reports', load: () => import('./pages/admin/reports.js') },
  { pattern: '/admin/jobs', load: () => import('./pages/admin/jobs.js') },
  { pattern: '/admin/audit', load: () => import('./pages/admin/audit.js') },
  { pattern: '/admin/settings', load: () => import('./pages/admin/settings.js') },
  { pattern: '/studio', load: () => import('./pages/studio.js') },
  { pattern: '/studio/videos/{video_id}', load: () => import('./pages/studio-video.js') },
  { pattern: '/trending', load: () => import('./pages/trending.js') },
  { pattern: '/admin/analytics', load: () => import('./pages/admin-analytics.js') },
];

const notFound = () => import('./pages/not-found.js');

// "/channel/{user_id}" -> a matcher returning {user_id: "..."} or null.
export function compile(pattern) {
  const names = [];
  const source = pattern
    .split('/')
    .map((segment) => {
      const parameter = /^\{([a-z_]+)\}$/.exec(segment);
      if (!parameter) return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      names.push(parameter[1]);
      return '([^/]+)';
    })
    .join('/');
  const regex = new RegExp(`^${source}$`);
  return (path) => {
    const match = regex.exec(path);
    if (!match) return null;
    return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1])]));
  };
}

const compiled = routes.map((route) => ({ ...route, match: compile(route.pattern) }));

function findPage(path) {
  for (const route of compiled) {
    const params = route.match(path);
    if (params) return { load: route.load, params };
  }
  return { load: notFound, params: {} };
}

async function start() {
  initHeader();
  showFlash();
  const main = document.getElementById('main');
  const { load, params } = findPage(location.pathname);
  const page = await load();
  document.body.dataset.page = page.name;
  if (page.title) document.title = `${page.title} · monotube`;
  await page.render(main, params);
  main.removeAttribute('aria-busy');
}

start().catch((error) => {
  // A broken page script must not leave a silent blank: say so where people look.
  console.error('monotube: the page script failed', error);
});
