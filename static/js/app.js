// Entry point of every page: wires the shared header, then runs the page's own module,
// chosen by <body data-page="…">. A new page adds one line to `pages`.
import { initHeader } from './header.js';

const pages = {
  home: () => import('./pages/home.js'),
};

async function start() {
  initHeader();
  const load = pages[document.body.dataset.page];
  if (!load) return;
  const page = await load();
  await page.init?.();
}

start().catch((error) => {
  // A broken page script must not leave a silent blank: say so where people look.
  console.error('monotube: the page script failed', error);
});
