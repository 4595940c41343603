// Browser smoke test: starts the real server, loads the UI in headless Chromium at
// desktop and phone widths, and checks that it renders cleanly under the server's
// Content-Security-Policy (no console errors, failed requests or CSP violations), that
// unknown pages get the friendly 404 page, and that SIGTERM stops the server cleanly.
//
//   MONOTUBE_BIN=build/monotube [MONOTUBE_STATIC_DIR=static] node tests/e2e/smoke.mjs
//
// Screenshots go to test-results/ at the repository root.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

import {
  assertClean, check, launchBrowser, newContext, results, resultsDir, runTest, viewports, watchPage,
} from './harness.mjs';
import { startSite } from './site.mjs';

async function checkHeader(page) {
  const logo = page.locator('header a[href="/"]').first();
  assert.equal(await logo.count(), 1, 'the header has a link home');
  assert.ok(await logo.isVisible(), 'the home link is visible');
  assert.equal(await logo.locator('img').count(), 1, 'the home link shows the logo');

  // A combobox once its suggestions are wired (components/search-suggest.js).
  const search = page.getByRole('combobox', { name: 'Search videos' });
  assert.ok(await search.isVisible(), 'the search box is visible and labelled');
  assert.equal(await search.getAttribute('name'), 'query');
  const form = page.locator('header form[role="search"]');
  assert.equal(await form.getAttribute('action'), '/search');
  assert.equal((await form.getAttribute('method'))?.toLowerCase(), 'get');

  const signIn = page.getByRole('link', { name: 'Sign in', exact: true });
  assert.ok(await signIn.isVisible(), 'the Sign in link is visible');
  assert.equal(await signIn.getAttribute('href'), '/login');
}

async function main() {
  await mkdir(resultsDir, { recursive: true });
  // The server as it comes: sign-ups get its default role.
  const site = await startSite('smoke', { signupRole: null });
  const { baseUrl } = site;
  let browser;
  try {
    if (!await check('the server starts and answers /healthz', site.healthy)) return;

    browser = await launchBrowser();
    for (const viewport of viewports) {
      const context = await newContext(browser, { viewport: { width: viewport.width, height: viewport.height } });
      const page = await context.newPage();
      const watch = watchPage(page);

      await check(`home page at ${viewport.width}px renders cleanly`, async () => {
        const response = await page.goto(`${baseUrl}/`, { waitUntil: 'networkidle' });
        assert.equal(response.status(), 200);
        assert.match(response.headers()['content-security-policy'] ?? '', /script-src 'self'/,
          'the page is served with the strict CSP');
        assert.ok((await page.title()).trim().length > 0, 'the page has a title');
        await checkHeader(page);
        // The page module ran: the shell's <main> holds the home page.
        assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Videos on monotube');
        assert.ok(await page.getByRole('heading', { level: 2, name: 'Latest videos' }).isVisible());
        assert.equal(await page.locator('body').getAttribute('data-page'), 'home');
        assert.equal(await page.locator('main').getAttribute('aria-busy'), null, 'the page finished rendering');
        await page.screenshot({ path: path.join(resultsDir, `home-${viewport.name}.png`), fullPage: true });
        await assertClean(page, watch);
      });

      if (viewport.name === 'desktop') {
        await check('"/" moves the focus to the search box', async () => {
          await page.locator('main').click({ position: { x: 5, y: 5 } });
          await page.keyboard.press('/');
          assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'query');
        });
      }

      await check(`an unknown page at ${viewport.width}px shows the 404 page`, async () => {
        watch.reset();
        // The 404 of the page itself is expected, and the visitor's 401; nothing else may go wrong.
        watch.allow(404, 'GET', '/no-such-page');
        const response = await page.goto(`${baseUrl}/no-such-page`, { waitUntil: 'networkidle' });
        assert.equal(response.status(), 404);
        assert.match(response.headers()['content-type'] ?? '', /^text\/html/);
        assert.match(await page.title(), /not found/i);
        assert.match(await page.getByRole('heading', { level: 1 }).innerText(), /isn.t here/);
        await checkHeader(page);
        await page.screenshot({ path: path.join(resultsDir, `not-found-${viewport.name}.png`), fullPage: true });
        await assertClean(page, watch);
      });
      await context.close();
    }
  } finally {
    if (browser) await browser.close().catch(() => {});
    await site.cleanup({ printOutput: results.failed > 0 });
  }
}

await runTest(main);
