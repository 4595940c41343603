// Browser walk through the video pages, against the real server and real media:
// every file of the shared test media is uploaded through the upload page (several at
// once, through tus), each good one is played on its watch page (playback advances, a
// seek to the middle plays from there, the quality menu lists Auto + every rendition,
// seek previews show), the broken ones say why on the upload page, My videos and the
// watch page; an upload is paused and resumed (and continued after a reload of the
// page, and a watch page open meanwhile turns into the player once it is ready), one is
// cancelled, one gets its details while it uploads, one is dropped on the page; details
// and visibility are edited on My videos, a video is deleted; keyboard shortcuts and
// the resume position are checked; a visitor watches an unlisted video (signed media
// URLs) and cannot see a private one; a viewer is told uploading is for creators; the
// pages are looked at at phone width. Fails on console errors, CSP violations, failed
// requests and error answers nobody allowed (requests cancelled on purpose excepted).
//
//   MONOTUBE_BIN=build/monotube [MONOTUBE_STATIC_DIR=static] node tests/e2e/videos.mjs
//
// The media come from ../shared/media (relative to the repository root; MONOTUBE_MEDIA_DIR
// overrides). Screenshots go to test-results/videos-<page>-<viewport>.png.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import {
  assertClean, check, launchBrowser, newContext, repoRoot, results, resultsDir, runTest, viewports, watchPage,
} from './harness.mjs';
import { makeVideoFile } from './media.mjs';
import { signUp, sleep, startSite, until } from './site.mjs';

const [desktop, phone] = viewports;
const mediaDir = path.resolve(process.env.MONOTUBE_MEDIA_DIR ?? path.join(repoRoot, '..', 'shared', 'media'));
const goodFiles = ['flower.mp4', 'flower.webm', 'flower.avi', 'friday.mp4', 'friday.mov', 'bug_video_640.mp4'];
const badFiles = ['truncated.mp4', 'not-a-video.mp4'];
const creator = { username: 'e2e_creator', email: 'creator@example.com', password: 'seven purple 88 bicycles' };
const viewer = { username: 'e2e_viewer', email: 'viewer@example.com', password: 'quiet blue 41 harbour' };
const processingTimeoutMs = 10 * 60_000;

const sha256 = (buffer) => createHash('sha256').update(buffer).digest('hex');

async function shot(page, name, viewport) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(resultsDir, `videos-${name}-${viewport.name}.png`), fullPage: true });
}

// ---------- the API from outside the browser (Bearer token) ----------

function apiClient(baseUrl, token) {
  const call = async (method, pathname, { body, headers = {} } = {}) => {
    const response = await fetch(`${baseUrl}${pathname}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    const type = response.headers.get('content-type') ?? '';
    let data = null;
    if (method !== 'HEAD') data = type.includes('application/json') ? await response.json() : Buffer.from(await response.arrayBuffer());
    return { status: response.status, headers: response.headers, data };
  };
  return {
    call,
    async video(id) {
      const answer = await call('GET', `/api/videos/${id}`);
      assert.equal(answer.status, 200, `GET /api/videos/${id}: ${JSON.stringify(answer.data)}`);
      return answer.data.video;
    },
    async original(id) {
      const answer = await call('GET', `/api/videos/${id}/original`);
      assert.equal(answer.status, 200, `GET /api/videos/${id}/original answered ${answer.status}`);
      return answer.data;
    },
  };
}

// ---------- page helpers ----------

const item = (page, fileName) => page.locator(`[data-testid="upload-item"][data-file-name="${fileName}"]`);

async function settledState(page, fileName, timeoutMs = processingTimeoutMs) {
  const row = item(page, fileName);
  await until(`${fileName} to be ready or failed`, async () =>
    ['ready', 'failed'].includes(await row.getAttribute('data-state')), timeoutMs, 500);
  return row.getAttribute('data-state');
}

const player = (page) => ({
  state: () => page.evaluate(() => {
    const p = window.__monotubePlayer;
    if (!p) return null;
    const v = p.video;
    return {
      currentTime: v.currentTime, duration: v.duration, paused: v.paused, ended: v.ended, muted: v.muted,
      volume: v.volume, levels: p.hls ? p.hls.levels.length : null, readyState: v.readyState,
    };
  }),
});

async function waitForPlayer(page) {
  await page.locator('[data-testid="player"]').waitFor();
  await page.waitForFunction(() => window.__monotubePlayer?.video && window.__monotubePlayer.video.readyState >= 1 &&
    (!window.__monotubePlayer.hls || window.__monotubePlayer.hls.levels.length > 0), null, { timeout: 20_000 });
}

async function ensurePlaying(page) {
  const state = await player(page).state();
  if (state.paused) await page.locator('[data-testid="play-button"]').click();
  await page.waitForFunction(() => !window.__monotubePlayer.video.paused, null, { timeout: 10_000 });
}

async function waitForTimePast(page, seconds, timeoutMs = 20_000) {
  await page.waitForFunction((t) => window.__monotubePlayer.video.currentTime > t, seconds, { timeout: timeoutMs });
}

// A random file: the server takes any bytes over tus and only probes them at the end
// (where it fails, which these tests do not mind).
async function randomFile(dir, name, bytes) {
  const file = path.join(dir, name);
  const data = randomBytes(bytes);
  await writeFile(file, data);
  return { file, data };
}

// Holds every PATCH of a tus upload for `delayMs` so a test can act in the middle.
async function slowUploads(page, delayMs) {
  const handler = async (route) => {
    if (route.request().method() === 'PATCH') await sleep(delayMs);
    await route.continue().catch(() => {}); // the page may have aborted it meanwhile (pause)
  };
  await page.route('**/api/uploads/**', handler);
  return () => page.unroute('**/api/uploads/**', handler);
}

// Lets the first `pass` tus PATCHes through and holds every later one in the browser until
// the returned release() is called: a page reloaded meanwhile leaves exactly `pass`
// chunks on the server, however slow the machine (a fixed delay let the last chunk
// through when the reload came late).
async function holdUploadsAfter(page, pass) {
  let seen = 0;
  let release;
  const released = new Promise((resolve) => { release = resolve; });
  const handler = async (route) => {
    if (route.request().method() === 'PATCH' && ++seen > pass) await released;
    await route.continue().catch(() => {}); // the page may have been reloaded meanwhile
  };
  await page.route('**/api/uploads/**', handler);
  return async () => {
    release();
    await page.unroute('**/api/uploads/**', handler);
  };
}

// Requests cancelled on purpose are no problem: a tus PATCH stopped by pause, cancel or
// leaving the page, media segments hls.js stops loading when the quality changes, on a
// seek, or when the page is left, and the player's last view report, sent with keepalive
// as the page is left (the server still gets it; the page no longer waits for the answer).
function withoutDeliberateAborts(watch) {
  const original = watch.unexpected.bind(watch);
  watch.unexpected = () => original().filter((p) => !(p.kind === 'failed request' && /\(net::ERR_ABORTED\)$/.test(p.text) &&
    (/^PATCH \S+\/api\/uploads\//.test(p.text) || /^GET \S+\/media\/[^/]+\/\S+\.(m4s|mp4|m3u8|ts)(\?\S*)? /.test(p.text) ||
      /^POST \S+\/api\/videos\/[^/]+\/views /.test(p.text))));
  return watch;
}

// ---------- the walk ----------

async function desktopWalk({ browser, baseUrl, api, dataDir, workDir, binary }) {
  const context = await newContext(browser, { viewport: desktop });
  const page = await context.newPage();
  const watch = withoutDeliberateAborts(watchPage(page));
  // A failed step does not leave its leftovers to the next one.
  const step = async (name, fn) => check(name, async () => {
    try {
      await fn();
      await assertClean(page, watch);
    } finally {
      watch.reset();
    }
  });
  const uploaded = new Map(); // file name -> video id

  try {
    const answer = await context.request.post(`${baseUrl}/api/auth/login`, { data: { login: creator.username, password: creator.password } });
    assert.equal(answer.status(), 200);

    if (!await step('the account menu and header lead creators to Upload and My videos', async () => {
      await page.goto(`${baseUrl}/`, { waitUntil: 'networkidle' });
      await page.getByRole('button', { name: `Account menu for ${creator.username}` }).click();
      const items = await page.getByRole('menu').getByRole('menuitem').allInnerTexts();
      assert.deepEqual(items.map((t) => t.trim()), ['Your channel', 'Upload', 'My videos', 'Studio', 'Subscriptions', 'Settings', 'Log out']);
      await page.keyboard.press('Escape');
      await Promise.all([page.waitForURL(`${baseUrl}/upload`), page.getByRole('link', { name: 'Upload a video' }).first().click()]);
      await page.getByRole('heading', { level: 1, name: 'Upload videos' }).waitFor();
      await page.waitForLoadState('networkidle');
      await shot(page, 'upload-empty', desktop);
    })) return;

    const files = [...goodFiles, ...badFiles];
    if (!await step(`${files.length} files uploaded at once through the upload page end ready or failed`, async () => {
      const input = page.locator('[data-testid="upload-input"]');
      assert.equal(await input.getAttribute('multiple'), '', 'the file input takes several files');
      await input.setInputFiles(files.map((name) => path.join(mediaDir, name)));
      assert.equal(await page.locator('[data-testid="upload-item"]').count(), files.length, 'one row per file');
      // Each row has its progress bar and the title from the file name.
      const first = item(page, 'flower.mp4');
      assert.equal(await first.getByLabel('Title').inputValue(), 'flower');
      await page.waitForTimeout(300);
      await shot(page, 'upload-progress', desktop);
      for (const name of files) {
        const state = await settledState(page, name);
        const id = await item(page, name).getAttribute('data-video-id');
        assert.ok(id, `${name} has its video id`);
        uploaded.set(name, id);
        const expected = goodFiles.includes(name) ? 'ready' : 'failed';
        const video = await api.video(id);
        assert.equal(state, expected, `${name} ended ${state} (${video.failure_reason ?? 'no reason'})`);
        assert.equal(video.status, expected);
      }
      await page.waitForLoadState('networkidle');
      await shot(page, 'upload-done', desktop);
    })) return;

    await step('each good upload reached the server byte for byte', async () => {
      for (const name of goodFiles) {
        const source = await readFile(path.join(mediaDir, name));
        const original = await api.original(uploaded.get(name));
        assert.equal(sha256(original), sha256(source), `${name}: the stored original equals the file`);
      }
    });

    await step('the upload page shows the failure reason of the broken files and a Watch link for the good ones', async () => {
      for (const name of badFiles) {
        const video = await api.video(uploaded.get(name));
        assert.ok(video.failure_reason, `${name} has a failure reason`);
        const panel = item(page, name).locator('[data-testid="status-panel"]');
        assert.equal(await panel.getAttribute('data-status'), 'failed');
        assert.ok((await panel.innerText()).includes(video.failure_reason), `${name}: the reason is shown`);
      }
      for (const name of goodFiles) {
        const link = item(page, name).locator('[data-testid="watch-link"]');
        assert.ok(await link.isVisible(), `${name} has a Watch link`);
        assert.equal(await link.getAttribute('href'), `/watch/${uploaded.get(name)}`);
      }
    });

    for (const name of goodFiles) {
      await step(`${name}: plays, seeks to the middle and plays on, lists every quality`, async () => {
        const id = uploaded.get(name);
        const video = await api.video(id);
        await page.goto(`${baseUrl}/watch/${id}`, { waitUntil: 'domcontentloaded' });
        await waitForPlayer(page);
        assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), video.title);
        await ensurePlaying(page);
        await waitForTimePast(page, 0.5);
        const before = (await player(page).state()).currentTime;
        await waitForTimePast(page, before + 0.3);

        // Seek with a click in the middle of the seek bar.
        const seekBar = page.locator('[data-testid="seek-bar"]');
        const box = await seekBar.boundingBox();
        const { duration } = await player(page).state();
        assert.ok(duration > 2, `${name}: the duration is known (${duration})`);
        await seekBar.click({ position: { x: box.width / 2, y: box.height / 2 } });
        const middle = duration / 2;
        await page.waitForFunction((m) => Math.abs(window.__monotubePlayer.video.currentTime - m) < 1.0, middle, { timeout: 5000 });
        await ensurePlaying(page);
        await waitForTimePast(page, middle + 0.5);
        const after = await player(page).state();
        assert.ok(after.currentTime < duration, `${name}: still within the video (${after.currentTime})`);

        // The quality menu: Auto + every rendition.
        const names = (video.renditions ?? []).map((r) => r.name);
        assert.ok(names.length >= 1, `${name} has renditions`);
        await page.locator('[data-testid="player"]').hover();
        const qualityButton = page.locator('[data-testid="quality-button"]');
        if (names.length > 1) {
          await qualityButton.click();
          const menu = page.locator('[data-testid="quality-menu"]');
          await menu.waitFor();
          const options = (await menu.locator('[data-testid="quality-option"]').allInnerTexts()).map((t) => t.trim());
          assert.match(options[0], /^Auto( \(.+\))?$/, `${name}: Auto comes first (${options[0]})`);
          assert.equal(options.length, names.length + 1, `${name}: ${JSON.stringify(options)} vs renditions ${JSON.stringify(names)}`);
          for (const rendition of names) assert.ok(options.slice(1).includes(rendition), `${name}: ${rendition} is offered in ${JSON.stringify(options)}`);
          assert.equal((await player(page).state()).levels, names.length, 'hls.js found every rendition');
          if (name === 'flower.mp4') await shot(page, 'watch-quality', desktop);
          // Choosing a rendition fixes it; Auto goes back to adapting.
          const lowest = [...video.renditions].sort((a, b) => a.height - b.height)[0].name;
          await menu.getByRole('menuitemradio', { name: lowest, exact: true }).click();
          assert.equal(await qualityButton.innerText(), lowest);
          const level = await page.evaluate(() => window.__monotubePlayer.hls.currentLevel);
          assert.ok(level >= 0, 'a fixed level is chosen');
          await qualityButton.click();
          await menu.getByRole('menuitemradio').first().click();
          assert.equal(await page.evaluate(() => window.__monotubePlayer.hls.autoLevelEnabled), true);
        } else {
          assert.match(await qualityButton.innerText(), /Auto/);
        }

        // Seek previews on hover.
        if (video.previews_url) {
          await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
          const preview = page.locator('[data-testid="seek-preview"]');
          await preview.waitFor({ state: 'visible' });
          await until('a preview tile', () => page.locator('.player__preview-image:not([hidden])').count(), 5000);
          const image = await page.locator('.player__preview-image').evaluate((e) => e.style.backgroundImage);
          assert.match(image, /url\(/, 'the preview shows a tile of the sprite');
          if (name === 'flower.mp4') await page.screenshot({ path: path.join(resultsDir, 'videos-watch-preview-desktop.png') });
        }
        if (name === 'flower.mp4') {
          await page.mouse.move(5, 5);
          await shot(page, 'watch', desktop);
        }
        await page.locator('[data-testid="play-button"]').click();
      });
    }

    await step('keyboard shortcuts: k, m, 0–9, j/l, arrows, and the resume position', async () => {
      const id = uploaded.get('bug_video_640.mp4');
      await page.goto(`${baseUrl}/watch/${id}`, { waitUntil: 'domcontentloaded' });
      await waitForPlayer(page);
      await page.locator('main').click({ position: { x: 2, y: 2 } });
      const state = () => player(page).state();
      if ((await state()).paused) await page.keyboard.press('k');
      await page.waitForFunction(() => !window.__monotubePlayer.video.paused);
      await page.keyboard.press('k');
      assert.equal((await state()).paused, true, 'k pauses');
      await page.keyboard.press(' ');
      await page.waitForFunction(() => !window.__monotubePlayer.video.paused);
      const muted = (await state()).muted;
      await page.keyboard.press('m');
      assert.equal((await state()).muted, !muted, 'm toggles mute');
      await page.keyboard.press('m');
      const volume = (await state()).volume;
      await page.keyboard.press('ArrowDown');
      assert.ok((await state()).volume < volume, '↓ lowers the volume');
      await page.keyboard.press('ArrowUp');
      await page.keyboard.press('0');
      assert.ok((await state()).currentTime < 1, '0 jumps to the start');
      const { duration } = await state();
      await page.keyboard.press('5');
      assert.ok(Math.abs((await state()).currentTime - duration / 2) < 0.6, '5 jumps to the middle');
      await page.keyboard.press('j');
      assert.ok((await state()).currentTime < 0.5, 'j goes back 10 s (to the start here)');
      await page.keyboard.press('ArrowRight');
      assert.ok(Math.abs((await state()).currentTime - 5) < 0.6, '→ goes 5 s forward');
      await page.keyboard.press('ArrowLeft');
      assert.ok((await state()).currentTime < 0.7, '← goes 5 s back');

      // Stop in the middle, come back: playback resumes there.
      await page.keyboard.press('5');
      await waitForTimePast(page, duration / 2 + 0.3);
      await page.keyboard.press('k');
      const stoppedAt = (await state()).currentTime;
      // Kept on the "pause" event, which comes a moment after the key press.
      const readSaved = () => page.evaluate((key) => JSON.parse(localStorage.getItem(key) ?? 'null'), `monotube:position:${id}`);
      await until('the position to be kept', async () => Math.abs((await readSaved())?.time - stoppedAt) < 0.5, 5000)
        .catch(async (error) => assert.fail(`${error.message}: stopped at ${stoppedAt}, kept ${JSON.stringify(await readSaved())}`));
      await page.reload({ waitUntil: 'domcontentloaded' });
      await waitForPlayer(page);
      const notice = page.locator('[data-testid="resume-notice"]');
      await notice.waitFor();
      assert.match(await notice.innerText(), /Resumed at 0:0\d/);
      await page.waitForFunction((t) => window.__monotubePlayer.video.currentTime >= t - 0.5, stoppedAt, { timeout: 10_000 });
      // Watching to the end forgets it.
      await page.keyboard.press('9');
      await ensurePlaying(page);
      await page.waitForFunction(() => window.__monotubePlayer.video.ended, null, { timeout: 15_000 });
      const after = await page.evaluate((key) => localStorage.getItem(key), `monotube:position:${id}`);
      assert.equal(after, null, 'the position is cleared at the end');
    });

    await step('a failed video shows its reason on the watch page', async () => {
      for (const name of badFiles) {
        const id = uploaded.get(name);
        const video = await api.video(id);
        await page.goto(`${baseUrl}/watch/${id}`, { waitUntil: 'networkidle' });
        const panel = page.locator('[data-testid="status-panel"]');
        await panel.waitFor();
        assert.equal(await panel.getAttribute('data-status'), 'failed');
        assert.ok((await panel.innerText()).includes(video.failure_reason), `${name}: the reason is on the watch page`);
        assert.equal(await page.locator('[data-testid="player"]').count(), 0, 'no player for a failed video');
        if (name === 'not-a-video.mp4') await shot(page, 'watch-failed', desktop);
      }
    });

    await step('My videos lists every video with its status, failure reason and the quota', async () => {
      await page.goto(`${baseUrl}/my/videos`, { waitUntil: 'networkidle' });
      await page.getByRole('heading', { level: 1, name: 'My videos' }).waitFor();
      const rows = page.locator('[data-testid="my-video"]');
      assert.equal(await rows.count(), files.length);
      for (const name of files) {
        const row = page.locator(`[data-testid="my-video"][data-video-id="${uploaded.get(name)}"]`);
        const video = await api.video(uploaded.get(name));
        assert.equal(await row.getAttribute('data-status'), video.status);
        assert.equal(await row.locator('[data-testid="video-status"]').innerText(), video.status === 'ready' ? 'Ready' : 'Failed');
        if (video.status === 'failed') assert.equal(await row.locator('[data-testid="failure-reason"]').innerText(), video.failure_reason);
      }
      assert.match(await page.locator('[data-testid="quota-text"]').innerText(), /used/);
      await shot(page, 'my-videos', desktop);
    });

    await step('My videos: editing shows field errors, then saves details and visibility', async () => {
      const id = uploaded.get('flower.mp4');
      const row = page.locator(`[data-testid="my-video"][data-video-id="${id}"]`);
      await row.locator('[data-testid="edit-button"]').click();
      const dialog = page.locator('[data-testid="edit-dialog"]');
      await dialog.waitFor();
      const title = dialog.getByLabel('Title');
      assert.equal(await title.inputValue(), 'flower');
      // Too long a title (the browser's maxlength is bypassed here): the server's error shows next to the field.
      await title.evaluate((input) => {
        input.removeAttribute('maxlength');
        input.value = 'x'.repeat(101);
      });
      watch.allow(400, 'PATCH', `/api/videos/${id}`);
      await dialog.getByRole('button', { name: 'Save' }).click();
      await until('the title error', async () => await title.getAttribute('aria-invalid') === 'true', 5000);
      assert.ok(await dialog.locator('.field__error:visible').count() >= 1, 'the error is shown');
      await shot(page, 'my-videos-edit-error', desktop);
      await title.fill('Flower in the wind');
      await dialog.getByLabel('Description').fill('A flower, close up.\n<b>not bold</b>');
      await dialog.getByLabel('Tags').fill('flower, nature ,macro');
      await dialog.getByLabel('Visibility').selectOption('unlisted');
      await shot(page, 'my-videos-edit', desktop);
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await until('the row to show the new title', async () => await row.locator('[data-testid="my-video-title"]').innerText() === 'Flower in the wind');
      assert.equal(await row.locator('[data-testid="my-video-visibility"]').innerText(), 'Unlisted');
      const video = await api.video(id);
      assert.equal(video.title, 'Flower in the wind');
      assert.equal(video.description, 'A flower, close up.\n<b>not bold</b>');
      assert.deepEqual(video.tags, ['flower', 'nature', 'macro']);
      assert.equal(video.visibility, 'unlisted');
    });

    await step('the unlisted video plays for its owner and shows its details as text', async () => {
      const id = uploaded.get('flower.mp4');
      await page.goto(`${baseUrl}/watch/${id}`, { waitUntil: 'domcontentloaded' });
      await waitForPlayer(page);
      await ensurePlaying(page);
      await waitForTimePast(page, 0.5);
      await page.locator('[data-testid="play-button"]').click();
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Flower in the wind');
      const description = page.locator('[data-testid="description"]');
      assert.equal(await description.innerText(), 'A flower, close up.\n<b>not bold</b>');
      assert.equal(await description.locator('b').count(), 0, 'no markup from the description');
      assert.deepEqual(await page.getByRole('list', { name: 'Tags' }).getByRole('link').allInnerTexts(), ['#flower', '#nature', '#macro']);
      await page.waitForLoadState('networkidle');
      await shot(page, 'watch-unlisted', desktop);
    });

    await step('deleting a video asks first, then removes it', async () => {
      await page.goto(`${baseUrl}/my/videos`, { waitUntil: 'networkidle' });
      const id = uploaded.get('friday.mov');
      const row = page.locator(`[data-testid="my-video"][data-video-id="${id}"]`);
      await row.locator('[data-testid="delete-button"]').click();
      const dialog = page.locator('[data-testid="delete-dialog"]');
      await dialog.waitFor();
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'hidden' });
      assert.equal(await row.count(), 1, 'Cancel keeps it');
      await row.locator('[data-testid="delete-button"]').click();
      await shot(page, 'my-videos-delete', desktop);
      await dialog.getByRole('button', { name: 'Delete' }).click();
      await row.waitFor({ state: 'detached' });
      assert.equal((await api.call('GET', `/api/videos/${id}`)).status, 404, 'the video is gone');
      uploaded.delete('friday.mov');
    });

    await step('home lists the public videos and the channel all of the owner’s', async () => {
      await page.goto(`${baseUrl}/`, { waitUntil: 'networkidle' });
      const cards = page.locator('#latest-grid [data-testid="video-card"]');
      // Ready and public: not the unlisted flower.mp4, not the deleted friday.mov, not the failed ones.
      const expected = goodFiles.filter((n) => n !== 'flower.mp4' && n !== 'friday.mov').map((n) => uploaded.get(n));
      const shown = await cards.evaluateAll((list) => list.map((e) => e.dataset.videoId));
      assert.deepEqual(new Set(shown), new Set(expected));
      await page.waitForFunction(() => [...document.querySelectorAll('#latest-grid img')].every((img) => img.complete));
      await shot(page, 'home', desktop);
      const me = await api.call('GET', '/api/me');
      await page.goto(`${baseUrl}/channel/${me.data.user.id}`, { waitUntil: 'networkidle' });
      const channelCards = page.locator('#channel-grid [data-testid="video-card"]');
      assert.equal(await channelCards.count(), uploaded.size, 'the owner sees all of their videos on their channel');
      await shot(page, 'channel', desktop);
    });

    // ---------- pausing, resuming, cancelling ----------
    // Leaving a page with a running upload asks first; these steps reload on purpose.
    page.on('dialog', (dialog) => (dialog.type() === 'beforeunload' ? dialog.accept() : dialog.dismiss()));
    const serverOffset = async (id) => {
      const head = await api.call('HEAD', `/api/uploads/${id}`, { headers: { 'Tus-Resumable': '1.0.0' } });
      return head.status === 200 ? Number(head.headers.get('upload-offset')) : -1;
    };
    // Until the server holds the first 8 MiB chunk (the next one is then held by the route).
    const firstChunk = async (row) => {
      const id = await until('the video id', () => row.getAttribute('data-video-id'), 15_000);
      await until('the first chunk on the server', async () => (await serverOffset(id)) > 0, 30_000, 50);
      return id;
    };

    const big = await makeVideoFile(path.join(workDir, 'big-video.mp4'));
    await step('an upload can be paused and resumed; the server gets every byte', async () => {
      await page.goto(`${baseUrl}/upload`, { waitUntil: 'networkidle' });
      const release = await slowUploads(page, 1500);
      await page.locator('[data-testid="upload-input"]').setInputFiles(big.file);
      const row = item(page, 'big-video.mp4');
      const id = await firstChunk(row);
      await row.locator('[data-testid="pause-button"]').click();
      await until('the paused state', async () => await row.getAttribute('data-state') === 'paused', 5000);
      assert.equal(await row.locator('[data-testid="pause-button"]').innerText(), 'Resume');
      const progress = row.locator('[data-testid="upload-progress"]');
      const paused = await progress.getAttribute('aria-valuenow');
      const offset = await serverOffset(id);
      assert.ok(offset > 0 && offset < big.data.length, `the server holds part of it (${offset} of ${big.data.length})`);
      await sleep(2000);
      assert.equal(await progress.getAttribute('aria-valuenow'), paused, 'nothing moves while paused');
      assert.equal(await serverOffset(id), offset, 'the server gets nothing while paused');
      assert.equal((await api.video(id)).status, 'uploading');
      assert.match(await row.locator('[data-testid="upload-state"]').innerText(), /^Paused at .* of .* · \d+ %$/);
      await shot(page, 'upload-paused', desktop);

      // Its watch page, open meanwhile in another tab, waits for it and then plays it.
      const other = await context.newPage();
      const otherWatch = withoutDeliberateAborts(watchPage(other));
      await other.goto(`${baseUrl}/watch/${id}`, { waitUntil: 'networkidle' });
      const pending = other.locator('[data-testid="status-panel"]');
      assert.equal(await pending.getAttribute('data-status'), 'uploading');
      await shot(other, 'watch-uploading', desktop);

      await release();
      await row.locator('[data-testid="pause-button"]').click();
      assert.equal(await settledState(page, 'big-video.mp4'), 'ready');
      await other.locator('[data-testid="player"]').waitFor({ timeout: 60_000 });
      await waitForPlayer(other);
      await assertClean(other, otherWatch);
      await other.close();
      assert.equal(sha256(await api.original(id)), sha256(big.data), 'the original equals the file');
      uploaded.set('big-video.mp4', id);
    });

    await step('an interrupted upload continues after the page is reloaded', async () => {
      const again = { ...big, file: path.join(workDir, 'big-video-again.mp4') };
      await writeFile(again.file, big.data);
      await page.goto(`${baseUrl}/upload`, { waitUntil: 'networkidle' });
      const release = await holdUploadsAfter(page, 1);
      await page.locator('[data-testid="upload-input"]').setInputFiles(again.file);
      const id = await firstChunk(item(page, 'big-video-again.mp4'));
      await page.reload({ waitUntil: 'networkidle' });
      const unfinished = page.locator('[data-testid="unfinished-uploads"]');
      await unfinished.waitFor();
      assert.match(await unfinished.innerText(), /big-video-again\.mp4/);
      await shot(page, 'upload-unfinished', desktop);
      await release();
      await page.locator('[data-testid="upload-input"]').setInputFiles(again.file);
      const row = item(page, 'big-video-again.mp4');
      await until('the row to continue the same video', async () => await row.getAttribute('data-video-id') === id, 30_000)
        .catch(async (error) => assert.fail(`${error.message}: the row is ${await row.getAttribute('data-state')} with video ` +
          `${await row.getAttribute('data-video-id')} (${await row.innerText()})`));
      assert.equal(await settledState(page, 'big-video-again.mp4'), 'ready');
      assert.equal(sha256(await api.original(id)), sha256(again.data), 'the continued upload is byte-identical');
      uploaded.set('big-video-again.mp4', id);
      // Finished uploads are forgotten by the browser.
      await page.reload({ waitUntil: 'networkidle' });
      assert.equal(await page.locator('[data-testid="unfinished-uploads"]').count(), 0);
    });

    await step('an upload can be cancelled: the row goes and so does the video', async () => {
      const other = await randomFile(workDir, 'random-cancel.bin', 17 * 1024 * 1024);
      await page.goto(`${baseUrl}/upload`, { waitUntil: 'networkidle' });
      const release = await slowUploads(page, 1500);
      await page.locator('[data-testid="upload-input"]').setInputFiles(other.file);
      const row = item(page, 'random-cancel.bin');
      await until('the video id', () => row.getAttribute('data-video-id'), 10_000);
      const id = await row.getAttribute('data-video-id');
      await row.locator('[data-testid="cancel-button"]').click();
      await row.waitFor({ state: 'detached' });
      await release();
      await until('the video to be gone', async () => (await api.call('GET', `/api/videos/${id}`)).status === 404, 5000);
      const head = await api.call('HEAD', `/api/uploads/${id}`, { headers: { 'Tus-Resumable': '1.0.0' } });
      assert.ok([404, 410].includes(head.status), `the upload is gone (${head.status})`);
    });

    await step('details edited while a file uploads are saved on the video', async () => {
      const other = await randomFile(workDir, 'random-details.bin', 17 * 1024 * 1024);
      await page.goto(`${baseUrl}/upload`, { waitUntil: 'networkidle' });
      const release = await slowUploads(page, 1000);
      // The title is edited while the video is still being created (its creation request is
      // held), the rest once it exists: every edit must reach the video.
      let releaseCreation;
      const creationHeld = new Promise((resolve) => { releaseCreation = resolve; });
      const holdCreation = async (route) => {
        if (route.request().method() === 'POST') await creationHeld;
        await route.continue().catch(() => {});
      };
      await page.route('**/api/uploads', holdCreation);
      await page.locator('[data-testid="upload-input"]').setInputFiles(other.file);
      const row = item(page, 'random-details.bin');
      assert.equal(await row.getByLabel('Title').inputValue(), 'random-details');
      await row.getByLabel('Title').fill('Named while uploading');
      releaseCreation();
      await until('the video to exist', () => row.getAttribute('data-video-id'), 15_000);
      await page.unroute('**/api/uploads', holdCreation);
      await row.getByLabel('Tags').fill('early, bird');
      await row.getByLabel('Visibility').selectOption('private');
      await row.getByRole('button', { name: 'Save details' }).click();
      await row.getByRole('status').filter({ hasText: 'Details saved.' }).waitFor({ timeout: 15_000 });
      const id = await row.getAttribute('data-video-id');
      const video = await api.video(id);
      assert.equal(video.status, 'uploading', 'saved before the upload ended');
      assert.equal(video.title, 'Named while uploading');
      assert.deepEqual(video.tags, ['early', 'bird']);
      assert.equal(video.visibility, 'private');
      await release();
      await settledState(page, 'random-details.bin');
      uploaded.set('random-details.bin', id);
    });

    await step('files dropped on the page are uploaded too', async () => {
      await page.goto(`${baseUrl}/upload`, { waitUntil: 'networkidle' });
      const bytes = [...await readFile(path.join(mediaDir, 'friday.mp4'))];
      const dropzone = page.locator('[data-testid="dropzone"]');
      const transfer = await page.evaluateHandle((data) => {
        const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array(data)], 'dropped.mp4', { type: 'video/mp4' }));
        return dt;
      }, bytes);
      await dropzone.dispatchEvent('dragenter', { dataTransfer: transfer });
      assert.match(await dropzone.getAttribute('class'), /dropzone--over/, 'the drop zone lights up');
      await dropzone.dispatchEvent('drop', { dataTransfer: transfer });
      assert.equal(await settledState(page, 'dropped.mp4'), 'ready');
      assert.doesNotMatch(await dropzone.getAttribute('class'), /dropzone--over/);
    });
  } finally {
    await context.close();
  }

  await check('a visitor watches an unlisted video by its link; a private one is not there', async () => {
    const visitorContext = await newContext(browser, { viewport: desktop });
    try {
      const visitor = await visitorContext.newPage();
      const visitorWatch = withoutDeliberateAborts(watchPage(visitor));
      const unlisted = uploaded.get('flower.mp4');
      await visitor.goto(`${baseUrl}/watch/${unlisted}`, { waitUntil: 'domcontentloaded' });
      await waitForPlayer(visitor);
      const hlsUrl = await visitor.evaluate(() => window.__monotubePlayer.hls.url);
      assert.match(hlsUrl, /[?&]sig=/, 'a non-public video streams from a signed URL');
      await ensurePlaying(visitor);
      await waitForTimePast(visitor, 0.5);
      assert.equal(await visitor.getByRole('link', { name: 'Edit video' }).count(), 0, 'no editing for visitors');
      await visitor.locator('[data-testid="play-button"]').click();
      const hidden = uploaded.get('random-details.bin');
      visitorWatch.allow(404, 'GET', `/api/videos/${hidden}`);
      await visitor.goto(`${baseUrl}/watch/${hidden}`, { waitUntil: 'networkidle' });
      await visitor.getByRole('heading', { level: 1, name: 'This video isn’t available' }).waitFor();
      await shot(visitor, 'watch-not-available', desktop);
      await assertClean(visitor, visitorWatch);
    } finally {
      await visitorContext.close();
    }
  });

  // A viewer cannot upload: the page says so.
  const made = spawnSync(binary, ['user', 'create', '--username', viewer.username, '--email', viewer.email,
    '--password', viewer.password, '--role', 'viewer'], { env: { ...process.env, MONOTUBE_DATA_DIR: dataDir }, encoding: 'utf8' });
  await check('a viewer is told that uploading is for creators', async () => {
    assert.equal(made.status, 0, `monotube user create: ${made.stderr}`);
    const viewerContext = await newContext(browser, { viewport: desktop });
    try {
      const viewerPage = await viewerContext.newPage();
      const viewerWatch = watchPage(viewerPage);
      await viewerContext.request.post(`${baseUrl}/api/auth/login`, { data: { login: viewer.username, password: viewer.password } });
      await viewerPage.goto(`${baseUrl}/upload`, { waitUntil: 'networkidle' });
      await viewerPage.getByRole('heading', { level: 1, name: 'Uploading is for creators' }).waitFor();
      assert.equal(await viewerPage.locator('[data-testid="upload-input"]').count(), 0);
      await viewerPage.getByRole('button', { name: `Account menu for ${viewer.username}` }).click();
      const items = await viewerPage.getByRole('menu').getByRole('menuitem').allInnerTexts();
      assert.deepEqual(items.map((t) => t.trim()), ['Your channel', 'Studio', 'Subscriptions', 'Settings', 'Log out']);
      await shot(viewerPage, 'upload-viewer', desktop);
      await assertClean(viewerPage, viewerWatch);
    } finally {
      await viewerContext.close();
    }
  });

  return uploaded;
}

async function phonePass({ browser, baseUrl, uploaded }) {
  const context = await newContext(browser, { viewport: phone, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const watch = withoutDeliberateAborts(watchPage(page));
  const fits = async (what) => {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${what} fits the width (overflow ${overflow}px)`);
  };
  try {
    await context.request.post(`${baseUrl}/api/auth/login`, { data: { login: creator.username, password: creator.password } });
    await check('at phone width: upload, watch, My videos and home fit and work', async () => {
      await page.goto(`${baseUrl}/upload`, { waitUntil: 'networkidle' });
      await page.locator('[data-testid="upload-input"]').setInputFiles(path.join(mediaDir, 'friday.mp4'));
      const state = await settledState(page, 'friday.mp4');
      assert.equal(state, 'ready');
      await fits('the upload page');
      await shot(page, 'upload-done', phone);

      await page.goto(`${baseUrl}/watch/${uploaded.get('bug_video_640.mp4')}`, { waitUntil: 'domcontentloaded' });
      await waitForPlayer(page);
      await page.locator('[data-testid="big-play-button"], [data-testid="play-button"]').first().tap().catch(() => {});
      await ensurePlaying(page);
      await waitForTimePast(page, 0.5);
      const playerBox = await page.locator('[data-testid="player"]').boundingBox();
      assert.ok(playerBox.width >= phone.width - 1, `the player spans the width (${playerBox.width})`);
      for (const testid of ['play-button', 'quality-button', 'fullscreen-button', 'time']) {
        const box = await page.locator(`[data-testid="${testid}"]`).boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= phone.width, `${testid} is on the screen`);
      }
      await page.locator('[data-testid="play-button"]').click();
      await fits('the watch page');
      await shot(page, 'watch', phone);

      await page.goto(`${baseUrl}/my/videos`, { waitUntil: 'networkidle' });
      await fits('My videos');
      await shot(page, 'my-videos', phone);
      await page.locator('[data-testid="edit-button"]').first().click();
      await page.locator('[data-testid="edit-dialog"]').waitFor();
      await shot(page, 'my-videos-edit', phone);
      await page.keyboard.press('Escape');

      await page.goto(`${baseUrl}/`, { waitUntil: 'networkidle' });
      await fits('the home page');
      await shot(page, 'home', phone);
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.goto(`${baseUrl}/my/videos`, { waitUntil: 'networkidle' });
      await shot(page, 'my-videos-dark', phone);
      await assertClean(page, watch);
    });
  } finally {
    await context.close();
  }
}

async function main() {
  assert.ok(existsSync(mediaDir), `the test media are at ${mediaDir}`);
  const present = await readdir(mediaDir);
  for (const name of [...goodFiles, ...badFiles]) assert.ok(present.includes(name), `${name} is in ${mediaDir}`);
  await mkdir(resultsDir, { recursive: true });
  const site = await startSite('videos');
  const { baseUrl, binary, dataDir } = site;
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'monotube-e2e-files-'));
  let browser;
  try {
    if (!await check('the server starts and answers /healthz', site.healthy)) return;
    let signedUp;
    if (!await check('a creator signs up', async () => { signedUp = await signUp(baseUrl, creator); })) return;
    const { token, user } = signedUp;
    assert.equal(user.role, 'creator');
    const api = apiClient(baseUrl, token);

    browser = await launchBrowser();
    const uploaded = await desktopWalk({ browser, baseUrl, api, dataDir, workDir, binary });
    if (uploaded?.has('bug_video_640.mp4')) await phonePass({ browser, baseUrl, uploaded });
  } finally {
    if (browser) await browser.close().catch(() => {});
    await site.cleanup({ printOutput: results.failed > 0 });
    await rm(workDir, { recursive: true, force: true });
  }
}
await runTest(main);
