// Script injection through comments, checked in Chromium against the real server:
// comments (and a reply, and an edit) holding <script>, <img onerror>, <svg onload>,
// javascript: links, HTML entities and attribute breakouts are shown as the literal text
// people typed — before and after a reload, so both the page's own rendering of a new
// comment and the list the server sends back are covered — nothing runs
// (window.__pwned stays undefined), no element but text and links ends up inside a
// comment's body, and only the http(s) address becomes a link, with
// rel="nofollow noopener ugc". A video title with markup is shown as text in the
// notifications panel and on the watch page too.
//
//   MONOTUBE_BIN=build/monotube [MONOTUBE_STATIC_DIR=static] node tests/e2e/comment-injection.mjs
//
// Screenshots: test-results/injection-*.png.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import {
  assertClean, check, launchBrowser, newContext, results, runTest, viewports, watchPage,
} from './harness.mjs';
import { makeVideoFile } from './media.mjs';
import {
  apiClient, shot, signUp, startSite, until, uploadVideo, waitForReady, withoutDeliberateAborts,
} from './site.mjs';

const [desktop] = viewports;
const creator = { username: 'inj_creator', email: 'inj-creator@example.com', password: 'seven purple 88 bicycles' };
const viewer = { username: 'inj_viewer', email: 'inj-viewer@example.com', password: 'quiet blue 41 harbour' };
const videoTitle = 'Cats <img src=x onerror="window.__pwned=1"> & dogs';

const payloads = [
  '<script>window.__pwned=1</script>',
  '<img src=x onerror="window.__pwned=1">',
  '<a href="javascript:window.__pwned=1">click me</a> and javascript:window.__pwned=1',
  '[link](javascript:window.__pwned=1) <svg onload="window.__pwned=1"></svg> <iframe src="javascript:window.__pwned=1"></iframe>',
  '&lt;b&gt;not bold&lt;/b&gt; &amp; &quot;quoted&quot; &#60;script&#62; <b>bold?</b>',
  'Read https://example.com/docs?a=1&b=2.\nSecond line, "quoted" https://example.com/"onmouseover="window.__pwned=1',
];

async function main() {
  const site = await startSite('injection');
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'monotube-e2e-injection-files-'));
  let browser;
  try {
    if (!await check('the server starts and answers /healthz', site.healthy)) return;
    const a = await signUp(site.baseUrl, creator);
    const b = await signUp(site.baseUrl, viewer);
    const callA = apiClient(site.baseUrl, a.token);
    const callB = apiClient(site.baseUrl, b.token);
    // B follows A before the upload, so the upload notifies B.
    assert.equal((await callB('POST', `/api/users/${a.user.id}/subscribe`)).status, 200);
    const { data } = await makeVideoFile(path.join(workDir, 'injection.mp4'), { seconds: 4, megabytes: 1 });
    const videoId = await uploadVideo(site.baseUrl, a.token, data, { title: videoTitle });
    await waitForReady(callA, videoId);

    browser = await launchBrowser();
    const context = await newContext(browser, { viewport: desktop });
    const page = await context.newPage();
    const watch = withoutDeliberateAborts(watchPage(page));
    assert.equal((await context.request.post(`${site.baseUrl}/api/auth/login`,
      { data: { login: viewer.username, password: viewer.password } })).status(), 200);

    const bodies = page.locator('[data-testid="comment-body"]');
    const pwned = () => page.evaluate(() => window.__pwned);

    // Every body holds exactly what was typed, as text, with links only for http(s).
    const checkBodies = async (expected) => {
      const found = await bodies.evaluateAll((elements) => elements.map((element) => ({
        text: element.textContent,
        elements: Array.from(element.querySelectorAll('*')).map((child) => child.tagName.toLowerCase()),
        links: Array.from(element.querySelectorAll('a')).map((link) => ({
          href: link.getAttribute('href'), rel: link.getAttribute('rel'), target: link.getAttribute('target'), text: link.textContent,
        })),
      })));
      const texts = found.map((f) => f.text);
      for (const text of expected) assert.ok(texts.includes(text), `shown as typed: ${JSON.stringify(text)}\n  found: ${JSON.stringify(texts)}`);
      for (const body of found) {
        assert.deepEqual(body.elements.filter((tag) => tag !== 'a'), [], `only links inside ${JSON.stringify(body.text)}`);
        for (const link of body.links) {
          assert.match(link.href, /^https:\/\/example\.com\//, `only http(s) links (${link.href})`);
          assert.deepEqual(link.rel.split(' ').sort(), ['nofollow', 'noopener', 'ugc']);
          assert.equal(link.target, '_blank');
        }
      }
      const links = found.flatMap((f) => f.links);
      assert.ok(links.some((l) => l.href === 'https://example.com/docs?a=1&b=2' && l.text === 'https://example.com/docs?a=1&b=2'),
        `the address became a link without the sentence's full stop: ${JSON.stringify(links)}`);
      assert.equal(await page.locator('main script, main iframe, [data-testid="comments"] img:not(.avatar), [data-testid="comments"] svg:not(.icon)').count(), 0,
        'no script, iframe, image or svg in the comments');
      assert.equal(await pwned(), undefined, 'nothing ran');
    };

    await check('the video title with markup is text in the notifications panel and on the watch page', async () => {
      await page.goto(`${site.baseUrl}/`, { waitUntil: 'networkidle' });
      const bell = page.locator('[data-testid="notifications-button"]');
      await until('the unread badge', async () => (await bell.getAttribute('aria-label')) === 'Notifications, 1 unread', 10_000);
      await bell.click();
      const item = page.locator('[data-testid="notification"]').first();
      await item.waitFor();
      assert.equal(await item.locator('.notification__title').textContent(), videoTitle);
      assert.equal(await page.locator('[data-testid="notifications-panel"] img[src="x"]').count(), 0);
      await shot(page, 'injection-notifications-desktop', { fullPage: false });
      await Promise.all([page.waitForURL(`${site.baseUrl}/watch/${videoId}`), item.click()]);
      await page.locator('[data-testid="comments"]').waitFor();
      assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), videoTitle);
      assert.equal(await pwned(), undefined);
      await assertClean(page, watch);
    });

    await check('comments with HTML, script and javascript: links are posted and shown as text', async () => {
      for (const payload of payloads) {
        const composer = page.locator('[data-testid="new-comment"]');
        await composer.locator('textarea').fill(payload);
        await composer.getByRole('button', { name: 'Comment' }).click();
        await until('the comment to appear', async () => (await bodies.allTextContents()).includes(payload));
      }
      await checkBodies(payloads);
      await assertClean(page, watch);
    });

    const replyText = '<img src=x onerror="window.__pwned=1"> a reply';
    const editedText = '<script>window.__pwned=1</script> edited https://example.com/after-edit';
    await check('a reply and an edit with markup are text too', async () => {
      const id = await page.locator('[data-testid="comment"]').filter({
        has: page.locator('[data-testid="comment-body"]').getByText(payloads[0], { exact: true }),
      }).getAttribute('data-comment-id');
      const first = page.locator(`[data-testid="comment"][data-comment-id="${id}"]`);
      await first.locator('[data-testid="reply-button"]').click();
      const replyBox = first.locator('[data-testid="reply-composer"]');
      await replyBox.locator('textarea').fill(replyText);
      await replyBox.getByRole('button', { name: 'Reply' }).click();
      await first.locator('[data-testid="reply"] [data-testid="comment-body"]').filter({ hasText: 'a reply' }).waitFor();

      await first.locator('[data-testid="edit-comment"]').first().click();
      const editBox = first.locator('[data-testid="edit-composer"]');
      await editBox.locator('textarea').fill(editedText);
      await editBox.getByRole('button', { name: 'Save' }).click();
      await until('the edit to show', async () => (await bodies.allTextContents()).includes(editedText));
      assert.equal(await first.locator('[data-testid="comment-edited"]').first().textContent(), '(edited)');
      assert.equal(await pwned(), undefined);
      await assertClean(page, watch);
    });

    await check('after a reload the server’s list shows the same text, and nothing runs', async () => {
      await page.reload({ waitUntil: 'networkidle' });
      await page.locator('[data-testid="sort-newest"]').click();
      await until('the comments', async () => (await bodies.count()) >= payloads.length);
      const expected = [...payloads.slice(1), editedText];  // the first one was edited
      await checkBodies(expected);
      const toggle = page.locator('[data-testid="replies-toggle"]:visible').first();
      await toggle.click();
      await page.locator('[data-testid="reply"] [data-testid="comment-body"]').first().waitFor();
      assert.equal(await page.locator('[data-testid="reply"] [data-testid="comment-body"]').first().textContent(), replyText);
      // The stored text is what was typed: escaping is the page's job, not the server's.
      const stored = await callB('GET', `/api/videos/${videoId}/comments?sort=newest&limit=50`);
      assert.equal(stored.status, 200);
      for (const text of expected) assert.ok(stored.data.comments.some((c) => c.content === text), `stored as typed: ${text}`);
      // Hovering and clicking the links does not run anything either.
      for (const link of await page.locator('[data-testid="comment-body"] a').all()) await link.hover();
      assert.equal(await pwned(), undefined);
      await page.locator('[data-testid="comments"]').scrollIntoViewIfNeeded();
      await shot(page, 'injection-watch-desktop');
      await assertClean(page, watch);
    });
    await context.close();
  } finally {
    if (browser) await browser.close().catch(() => {});
    await site.cleanup({ printOutput: results.failed > 0 });
    await rm(workDir, { recursive: true, force: true });
  }
}

await runTest(main);
