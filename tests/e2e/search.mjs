// Search in the browser: a small synthetic catalogue (monotube dev gen-catalog), then
// type in the header box, pick a suggestion with the keyboard (ARIA combobox), filter
// the results by length, and open a result.
//
//   MONOTUBE_BIN=build/monotube [MONOTUBE_STATIC_DIR=static] node tests/e2e/search.mjs
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import {
  check, freePort, launchBrowser, newContext, repoRoot, resultsDir, runTest, startServer, stopServer,
  waitForHealthy,
} from './harness.mjs';

const run = promisify(execFile);

async function api(baseUrl, target) {
  const response = await fetch(`${baseUrl}${target}`);
  assert.equal(response.status, 200, `${target} answered ${response.status}`);
  return response.json();
}

async function main() {
  const binary = process.env.MONOTUBE_BIN;
  if (!binary) throw new Error('set MONOTUBE_BIN to the monotube binary (e.g. build/monotube)');
  const staticDir = path.resolve(process.env.MONOTUBE_STATIC_DIR ?? path.join(repoRoot, 'static'));
  await mkdir(resultsDir, { recursive: true });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'monotube-e2e-search-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = { ...process.env, MONOTUBE_DATA_DIR: dataDir, MONOTUBE_LOG_LEVEL: 'warn' };
  delete env.MONOTUBE_BIN;

  if (!await check('gen-catalog fills the database and the index', async () => {
    const { stdout } = await run(binary, ['dev', 'gen-catalog', '--videos', '600', '--users', '40', '--seed', '7'], { env });
    assert.match(stdout, /generated 40 users and 600 videos/);
    assert.match(stdout, /indexed \d+ videos/);
  })) return;

  const server = startServer(binary, {
    MONOTUBE_LISTEN: `127.0.0.1:${port}`,
    MONOTUBE_DATA_DIR: dataDir,
    MONOTUBE_STATIC_DIR: staticDir,
  });
  let browser;
  try {
    if (!await check('the server starts and answers /healthz', () => waitForHealthy(baseUrl, server, 30_000))) return;

    // The target: a long video; its title typed almost whole makes it one of the suggestions.
    let target;
    await check('the API finds long videos', async () => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const response = await fetch(`${baseUrl}/api/search/videos?duration=long&sort=views&limit=1`);
        if (response.status === 200) {
          const answer = await response.json();
          if (answer.videos.length === 1) {
            target = answer.videos[0];
            break;
          }
        }
        if (Date.now() > deadline) throw new Error('no long video found');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.ok(target.duration > 20 * 60);
    });
    if (!target) return;

    browser = await launchBrowser();
    const context = await newContext(browser, { viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${baseUrl}/`);

    await check('the home page shows latest and popular rows', async () => {
      await page.locator('#latest-grid .video-card[data-video-id]').first().waitFor();
      await page.locator('#popular-grid .video-card[data-video-id]').first().waitFor();
      const views = await api(baseUrl, '/api/videos?sort=popular&limit=1');
      const first = await page.locator('#popular-grid .video-card[data-video-id]').first().getAttribute('data-video-id');
      assert.equal(first, views.videos[0].id);
    });

    const input = page.getByRole('combobox', { name: 'Search videos' });
    const typed = target.title.slice(0, Math.max(3, target.title.length - 2));
    await check('typing in the header box shows suggestions', async () => {
      await input.click();
      await input.pressSequentially(typed, { delay: 15 });
      await page.locator('#site-search-suggestions [role="option"]').first().waitFor();
      assert.equal(await input.getAttribute('aria-expanded'), 'true');
      const texts = await page.locator('#site-search-suggestions [role="option"]').allTextContents();
      assert.ok(texts.some((text) => text.includes(target.title)), `suggestions ${JSON.stringify(texts)}`);
    });

    await check('Escape closes the suggestions and ArrowDown opens them again', async () => {
      await input.press('Escape');
      assert.equal(await input.getAttribute('aria-expanded'), 'false');
      assert.ok(await page.locator('#site-search-suggestions').isHidden());
      await input.press('ArrowDown');
      assert.equal(await input.getAttribute('aria-expanded'), 'true');
    });

    await check('a suggestion picked with the keyboard runs the search', async () => {
      const options = page.locator('#site-search-suggestions [role="option"]');
      const count = await options.count();
      let found = false;
      for (let i = 0; i < count && !found; i += 1) {
        await input.press('ArrowDown');
        const active = await input.getAttribute('aria-activedescendant');
        assert.ok(active, 'an option is active');
        const text = await page.locator(`#${active}`).textContent();
        assert.equal(await page.locator(`#${active}`).getAttribute('aria-selected'), 'true');
        found = text.endsWith(target.title) && (await input.inputValue()) === target.title;
      }
      assert.ok(found, 'the target title was among the suggestions');
      await Promise.all([page.waitForURL(/\/search\?query=/), input.press('Enter')]);
      assert.equal(new URL(page.url()).searchParams.get('query'), target.title);
      await page.locator('[data-testid="search-result"]').first().waitFor();
      assert.ok(await page.locator(`[data-testid="search-result"][data-video-id="${target.id}"]`).count() === 1);
      const marks = await page.locator('.search-result__title mark').count();
      assert.ok(marks > 0, 'matching words are highlighted');
    });

    await check('filtering by length keeps only long videos', async () => {
      await Promise.all([
        page.waitForURL(/duration=long/),
        page.getByLabel('Length').selectOption('long'),
      ]);
      await page.locator('[data-testid="search-result"]').first().waitFor();
      const ids = await page.locator('[data-testid="search-result"]').evaluateAll(
        (items) => items.map((item) => item.dataset.videoId));
      const expected = await api(baseUrl, `/api/search/videos?query=${encodeURIComponent(target.title)}&duration=long&limit=20`);
      assert.deepEqual(ids, expected.videos.map((video) => video.id));
      assert.ok(expected.videos.every((video) => video.duration > 20 * 60));
      assert.ok(ids.includes(target.id));
      assert.equal(await page.getByLabel('Length').inputValue(), 'long');
    });

    await check('a result opens its watch page', async () => {
      const link = page.locator(`[data-testid="search-result"][data-video-id="${target.id}"] .search-result__title a`);
      await Promise.all([page.waitForURL(new RegExp(`/watch/${target.id}$`)), link.click()]);
    });

    await check('a misspelt search offers "did you mean"', async () => {
      const word = target.title.split(' ')[0].toLowerCase();
      if (word.length < 5) return;  // too short to misspell meaningfully
      const misspelt = word.slice(0, 2) + word[3] + word[2] + word.slice(4);
      await page.goto(`${baseUrl}/search?query=${encodeURIComponent(misspelt)}`);
      await page.locator('.search-page__status p').first().waitFor();
      const answer = await api(baseUrl, `/api/search/videos?query=${encodeURIComponent(misspelt)}`);
      if (answer.did_you_mean) {
        await page.locator('[data-testid="did-you-mean"] a').waitFor();
        assert.equal(await page.locator('[data-testid="did-you-mean"] strong').textContent(), answer.did_you_mean);
      }
    });
    await page.screenshot({ path: path.join(resultsDir, 'search.png') });
    await context.close();
  } finally {
    await browser?.close();
    await stopServer(server);
    await rm(dataDir, { recursive: true, force: true });
  }
}

runTest(main);

