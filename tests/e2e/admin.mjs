// Browser walk through moderation, against the real server: an uploader's ready public
// video (a real clip over tus); a viewer reports it from the watch page (and cannot
// report twice, nor their own comment); visitors are asked to sign in, viewers are
// refused the admin area; a moderator sees the open report in the header and hides the
// video from the reports page; for the viewer and a visitor the video is then gone from
// search, the home page and the channel, and its watch page says it is unavailable,
// while its owner still sees it; the audit log shows the hide with its reason; an admin
// suspends the uploader in the users page, whose log-in then says so; an admin closes
// sign-ups and lowers the upload size in the settings page, and the sign-up and upload
// pages follow. Every admin page is looked at on desktop and phone widths (no sideways
// scrolling). Fails on console errors, CSP violations, failed requests and error answers
// nobody allowed.
//
//   MONOTUBE_BIN=build/monotube [MONOTUBE_STATIC_DIR=static] [MONOTUBE_MEDIA_DIR=../shared/media] node tests/e2e/admin.mjs
//
// Screenshots: test-results/admin-*.png.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

import {
  assertClean, check, launchBrowser, newContext, repoRoot, runTest, viewports, watchPage,
} from './harness.mjs';
import {
  apiClient, shot, signUp, startSite, until, uploadVideo, waitForReady, withoutDeliberateAborts,
} from './site.mjs';

const run = promisify(execFile);
const [desktop, phone] = viewports;
const mediaDir = path.resolve(process.env.MONOTUBE_MEDIA_DIR ?? path.join(repoRoot, '..', 'shared', 'media'));

const una = { username: 'una_uploader', email: 'una@example.com', password: 'amber kettle 51 lantern' };
const vic = { username: 'vic_viewer', email: 'vic@example.com', password: 'silent orange 73 canyon' };
const mia = { username: 'mia_moderator', email: 'mia@example.com', password: 'velvet thunder 26 island', role: 'moderator' };
const ada = { username: 'ada_admin', email: 'ada@example.com', password: 'copper meadow 94 rocket', role: 'admin' };
const videoTitle = 'Flower meadow timelapse';
const searchWord = 'meadow';
const reportText = 'This is an advert for a shop, posted again and again.';
const hideReason = 'Repeated commercial spam (report from vic)';
const suspendReason = 'Kept posting spam after the video was hidden';

const text = async (locator) => (await locator.textContent())?.replace(/\s+/g, ' ').trim();

// Staff accounts come from the command line, as on a real site.
async function createStaff(site, who) {
  const { MONOTUBE_BIN, MONOTUBE_CHROMIUM, MONOTUBE_PYTHON, ...env } = process.env;
  await run(site.binary, ['user', 'create', '--username', who.username, '--email', who.email, '--password', who.password,
    '--role', who.role], { env: { ...env, MONOTUBE_DATA_DIR: site.dataDir, MONOTUBE_LOG_LEVEL: 'warn' } });
}

// Set when the server answers the admin pages with 404 (the shell still comes, so the UI
// works): that check fails on its own, and the steps below still test the UI rather than
// all failing for the same reason.
let adminShellMissing = false;
function isAdminShell404(problem) {
  if (!adminShellMissing || !problem.url || !/404/.test(problem.text)) return false;
  return /^\/admin(\/[a-z]+)?$/.test(new URL(problem.url).pathname);
}

async function signedIn(browser, baseUrl, who, options = { viewport: desktop }) {
  const context = await newContext(browser, options);
  if (who) {
    const answer = await context.request.post(`${baseUrl}/api/auth/login`, { data: { login: who.username, password: who.password } });
    assert.equal(answer.status(), 200, `log-in of ${who.username}: ${await answer.text()}`);
  }
  const page = await context.newPage();
  const watch = withoutDeliberateAborts(watchPage(page));
  const unexpected = watch.unexpected.bind(watch);
  watch.unexpected = () => unexpected().filter((problem) => !isAdminShell404(problem));
  return { context, page, watch };
}

// The page fits the viewport: nothing makes it scroll sideways.
async function assertNoSidewaysScroll(page) {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  assert.ok(scroll <= width, `the page is ${scroll} px wide in a ${width} px viewport`);
}

async function main() {
  const site = await startSite('admin');
  const { baseUrl } = site;
  let browser;
  let printOutput = false;
  try {
    if (!await check('the server starts and answers /healthz', site.healthy)) return;
    await check('the server answers every admin page with the page shell (200)', async () => {
      for (const sub of ['', '/users', '/videos', '/reports', '/jobs', '/audit', '/settings']) {
        const response = await fetch(`${baseUrl}/admin${sub}`, { headers: { Accept: 'text/html' } });
        assert.match(response.headers.get('content-type') ?? '', /text\/html/);
        if (response.status === 404) adminShellMissing = true;
        assert.equal(response.status, 200, `GET /admin${sub} answered ${response.status}: the server must register it as a page (App::AddPage)`);
      }
    });
    await createStaff(site, mia);
    await createStaff(site, ada);
    const u = await signUp(baseUrl, una);
    const v = await signUp(baseUrl, vic);
    const callU = apiClient(baseUrl, u.token);
    const callV = apiClient(baseUrl, v.token);
    const anonymous = apiClient(baseUrl, null);

    let videoId = null;
    if (!await check('the uploader’s real clip, uploaded over tus, becomes a ready public video', async () => {
      const data = await readFile(path.join(mediaDir, 'flower.mp4'));
      videoId = await uploadVideo(baseUrl, u.token, data, { title: videoTitle });
      const video = await waitForReady(callU, videoId);
      assert.equal(video.visibility, 'public');
    })) return;
    const commentU = (await callU('POST', `/api/videos/${videoId}/comments`, { content: 'Filmed over a whole afternoon.' })).data.comment;
    const commentV = (await callV('POST', `/api/videos/${videoId}/comments`, { content: 'So many bees!' })).data.comment;
    assert.ok(commentU?.id && commentV?.id, 'the comments were posted');

    // Search answers 503 until its first index build; then the new video has to be found,
    // so that its absence later means something.
    if (!await check('search finds the video before anything happens to it', async () => {
      await until('search to find the video', async () => {
        const answer = await anonymous('GET', `/api/search/videos?query=${searchWord}`);
        return answer.status === 200 && answer.data.videos.some((video) => video.id === videoId);
      }, 60_000, 500);
    })) return;

    browser = await launchBrowser();
    const V = await signedIn(browser, baseUrl, vic);
    const A = await signedIn(browser, baseUrl, null);
    const U = await signedIn(browser, baseUrl, null);
    const M = await signedIn(browser, baseUrl, mia);
    const D = await signedIn(browser, baseUrl, ada);
    const step = async (name, fn, ...people) => check(name, async () => {
      try {
        await fn();
        for (const who of people) await assertClean(who.page, who.watch);
      } finally {
        for (const who of people) who.watch.reset();
      }
    });

    if (!await step('the viewer reports the video from its watch page, with the keyboard', async () => {
      await V.page.goto(`${baseUrl}/watch/${videoId}`, { waitUntil: 'networkidle' });
      const button = V.page.locator('[data-testid="report-video"]');
      await button.focus();
      await V.page.keyboard.press('Enter');
      const dialog = V.page.locator('[data-testid="report-dialog"]');
      await dialog.waitFor();
      assert.equal(await V.page.evaluate(() => document.activeElement?.dataset.testid), 'report-category', 'the focus is on the category');
      // Sending without a category is refused in place.
      await dialog.locator('[data-testid="report-send"]').click();
      assert.match(await text(dialog.locator('.field__error').first()), /Choose what is wrong/);
      await dialog.locator('[data-testid="report-category"]').selectOption('spam');
      await dialog.locator('[data-testid="report-text"]').fill(reportText);
      await shot(V.page, 'admin-report-dialog-desktop', { fullPage: false });
      await dialog.locator('[data-testid="report-send"]').click();
      const done = dialog.locator('[data-testid="report-done"]');
      await done.waitFor();
      assert.equal(await done.getAttribute('data-state'), 'sent');
      await V.page.keyboard.press('Escape');
      assert.ok(await dialog.isHidden());
      assert.equal(await V.page.evaluate(() => document.activeElement?.dataset.testid), 'report-video', 'the focus is back on the button');
    }, V)) return;

    await step('a second report of the same video says it was already reported (409 from the server)', async () => {
      V.watch.allow(409, 'POST', `/api/videos/${videoId}/report`);
      await V.page.reload({ waitUntil: 'networkidle' });
      await V.page.locator('[data-testid="report-video"]').click();
      const dialog = V.page.locator('[data-testid="report-dialog"]');
      await dialog.locator('[data-testid="report-category"]').selectOption('harassment');
      await dialog.locator('[data-testid="report-send"]').click();
      const done = dialog.locator('[data-testid="report-done"]');
      await done.waitFor();
      assert.equal(await done.getAttribute('data-state'), 'already');
      assert.match(await text(done), /already reported this video/);
      await dialog.getByRole('button', { name: 'Close' }).click();
    }, V);

    await step('comments can be reported, but not one’s own; the owner has no report button for their video', async () => {
      const comments = V.page.locator('[data-testid="comment"]');
      await comments.first().waitFor();
      const others = V.page.locator(`[data-comment-id="${commentU.id}"] [data-testid="report-comment"]`);
      const own = V.page.locator(`[data-comment-id="${commentV.id}"] [data-testid="report-comment"]`);
      assert.equal(await others.count(), 1, 'the uploader’s comment has a Report button');
      assert.equal(await own.count(), 0, 'the viewer’s own comment has none');
      await others.click();
      const dialog = V.page.locator('[data-testid="report-dialog"]');
      assert.equal(await text(dialog.locator('h2')), 'Report this comment');
      await dialog.locator('[data-testid="report-category"]').selectOption('harassment');
      await dialog.locator('[data-testid="report-send"]').click();
      await dialog.locator('[data-testid="report-done"][data-state="sent"]').waitFor();
      await dialog.getByRole('button', { name: 'Close' }).click();
      await V.page.setViewportSize({ width: phone.width, height: phone.height });
      await assertNoSidewaysScroll(V.page);
      await shot(V.page, 'admin-report-buttons-phone');
      await V.page.setViewportSize({ width: desktop.width, height: desktop.height });
      const owner = await signedIn(browser, baseUrl, una);
      await owner.page.goto(`${baseUrl}/watch/${videoId}`, { waitUntil: 'networkidle' });
      await owner.page.locator('[data-testid="video-title"]').waitFor();
      assert.equal(await owner.page.locator('[data-testid="report-video"]').count(), 0);
      await assertClean(owner.page, owner.watch);
      await owner.context.close();
    }, V);

    await step('a visitor who presses Report is asked to sign in', async () => {
      await A.page.goto(`${baseUrl}/watch/${videoId}`, { waitUntil: 'networkidle' });
      await A.page.locator('[data-testid="report-video"]').click();
      const prompt = A.page.locator('[data-testid="sign-in-prompt"]');
      await prompt.waitFor();
      assert.match(await text(prompt), /Sign in to report this video/);
      await A.page.keyboard.press('Escape');
    }, A);

    await step('the admin area asks visitors to sign in and refuses viewers', async () => {
      await A.page.goto(`${baseUrl}/admin/reports`, { waitUntil: 'networkidle' });
      await A.page.locator('[data-testid="admin-sign-in"]').waitFor();
      assert.match(await A.page.getByRole('link', { name: 'Sign in' }).last().getAttribute('href'), /next=%2Fadmin%2Freports/);
      await V.page.goto(`${baseUrl}/admin`, { waitUntil: 'networkidle' });
      await V.page.locator('[data-testid="admin-forbidden"]').waitFor();
      assert.match(await text(V.page.locator('h1')), /can’t open this page/);
      assert.equal(await V.page.locator('[data-testid="admin-link"]').count(), 0, 'no Admin link in the viewer’s header');
      await shot(V.page, 'admin-forbidden-desktop', { fullPage: false });
    }, A, V);

    if (!await step('the moderator sees the open report on the Admin link and the dashboard, without admin-only sections', async () => {
      await M.page.goto(`${baseUrl}/admin`, { waitUntil: 'networkidle' });
      await M.page.locator('[data-testid="stat-reports-value"]').waitFor();
      assert.equal(await text(M.page.locator('[data-testid="admin-link-badge"]')), '2');
      assert.equal(await text(M.page.locator('[data-testid="stat-reports-value"]')), '2');
      assert.equal(await M.page.locator('[data-testid="admin-nav-jobs"]').count(), 0, 'no Jobs for moderators');
      assert.equal(await M.page.locator('[data-testid="admin-nav-settings"]').count(), 0, 'no Settings for moderators');
      assert.equal(await M.page.locator('section.admin-site-analytics').count(), 1, 'the analytics container is there');
      await M.page.goto(`${baseUrl}/admin/settings`, { waitUntil: 'networkidle' });
      await M.page.locator('[data-testid="admin-forbidden"]').waitFor();
    }, M)) return;

    if (!await step('the moderator hides the video from the report, with a reason', async () => {
      await M.page.goto(`${baseUrl}/admin/reports`, { waitUntil: 'networkidle' });
      const report = M.page.locator(`[data-testid="admin-report"][data-target-id="${videoId}"]`);
      await report.waitFor();
      assert.equal(await M.page.locator('[data-testid="admin-report"]').count(), 2);
      const onComment = M.page.locator(`[data-testid="admin-report"][data-target-id="${commentU.id}"]`);
      assert.equal(await text(onComment.locator('[data-testid="report-comment-text"]')), commentU.content);
      await until('the comment’s video to be named', async () => (await text(onComment.locator('[data-testid="report-comment-video"]'))) === `“${videoTitle}”`);
      assert.equal(await text(report.locator('[data-testid="report-target-link"]')), videoTitle);
      assert.equal(await report.locator('[data-testid="report-target-link"]').getAttribute('href'), `/watch/${videoId}`);
      assert.equal(await text(report.locator('[data-testid="report-text"]')), reportText);
      assert.match(await text(report), /Spam or misleading/);
      assert.match(await text(report), /@vic_viewer/);
      assert.match(await text(report.locator('[data-testid="report-open-count"]')), /1 open report on this video/);
      await report.locator('.admin-report__thumb img').waitFor();
      await shot(M.page, 'admin-reports-desktop');
      await M.page.setViewportSize({ width: phone.width, height: phone.height });
      await assertNoSidewaysScroll(M.page);
      await shot(M.page, 'admin-reports-open-phone');
      await M.page.setViewportSize({ width: desktop.width, height: desktop.height });
      await report.locator('[data-testid="report-hide-video"]').click();
      const dialog = M.page.locator('[data-testid="action-dialog"]');
      await dialog.waitFor();
      // The reason is required for hiding.
      await dialog.locator('[data-testid="action-confirm"]').click();
      assert.match(await text(dialog.locator('.field__error').first()), /Say why/);
      await dialog.getByLabel('Reason').fill(hideReason);
      await dialog.locator('[data-testid="action-confirm"]').click();
      await until('the dialog to close', () => dialog.isHidden());
      await until('the video’s report to leave the open list', async () => (await report.count()) === 0);
      assert.match(await text(M.page.locator('[data-testid="admin-status"]')), /hidden/);
      assert.equal(await text(M.page.locator('[data-testid="admin-nav-reports-count"]')), '1');
      // The comment's report is dismissed: nothing happens to the comment.
      await onComment.locator('[data-testid="report-dismiss"]').click();
      await M.page.locator('[data-testid="action-dialog"] [data-testid="action-confirm"]').click();
      await until('the open list to be empty', async () => (await M.page.locator('[data-testid="admin-report"]').count()) === 0);
      await M.page.locator('[data-testid="admin-empty"]').waitFor();
      assert.equal(await M.page.locator('[data-testid="admin-link-badge"]').isHidden(), true, 'no badge once all are closed');
      await M.page.locator('[data-testid="reports-tab-resolved"]').click();
      await report.waitFor();
      assert.match(await text(report.locator('[data-testid="report-outcome"]')), /Resolved by @mia_moderator .*Video hidden/);
    }, M)) return;

    await step('the hidden video is gone from search for the viewer and for a visitor', async () => {
      await until('search to drop the video', async () => {
        const answer = await anonymous('GET', `/api/search/videos?query=${searchWord}`);
        return answer.status === 200 && !answer.data.videos.some((video) => video.id === videoId);
      }, 30_000, 500);
      for (const who of [V, A]) {
        await who.page.goto(`${baseUrl}/search?query=${searchWord}`, { waitUntil: 'networkidle' });
        await who.page.locator('.search-page__status p').first().waitFor();
        assert.equal(await who.page.locator(`[data-testid="search-result"][data-video-id="${videoId}"]`).count(), 0);
      }
    }, V, A);

    await step('the hidden video is gone from the home page and the channel page, and its watch page says it is unavailable', async () => {
      for (const who of [V, A]) {
        await who.page.goto(`${baseUrl}/`, { waitUntil: 'networkidle' });
        await who.page.waitForFunction(() => {
          const grid = document.querySelector('#latest-grid');
          return grid && !grid.hasAttribute('aria-busy');
        });
        assert.equal(await who.page.locator(`[data-video-id="${videoId}"]`).count(), 0, 'not on the home page');
        await who.page.goto(`${baseUrl}/channel/${u.user.id}`, { waitUntil: 'networkidle' });
        await who.page.waitForFunction(() => {
          const grid = document.querySelector('#channel-grid');
          return grid && !grid.hasAttribute('aria-busy');
        });
        assert.equal(await who.page.locator(`[data-video-id="${videoId}"]`).count(), 0, 'not on the channel page');
        who.watch.allow(404, 'GET', `/api/videos/${videoId}`);
        await who.page.goto(`${baseUrl}/watch/${videoId}`, { waitUntil: 'networkidle' });
        assert.equal(await text(who.page.locator('h1')), 'This video isn’t available');
      }
      await shot(A.page, 'admin-hidden-watch-visitor-desktop', { fullPage: false });
    }, V, A);

    await step('its owner still sees it, with a note that it is hidden', async () => {
      const owner = await signedIn(browser, baseUrl, una);
      await owner.page.goto(`${baseUrl}/watch/${videoId}`, { waitUntil: 'networkidle' });
      assert.equal(await text(owner.page.locator('[data-testid="video-title"]')), videoTitle);
      assert.match(await text(owner.page.locator('[data-testid="video-hidden-notice"]')), /moderators hid this video/);
      await shot(owner.page, 'admin-hidden-watch-owner-desktop', { fullPage: false });
      await assertClean(owner.page, owner.watch);
      await owner.context.close();
    });

    await step('the audit log shows the hide with its reason', async () => {
      await M.page.goto(`${baseUrl}/admin/audit`, { waitUntil: 'networkidle' });
      const hide = M.page.locator(`[data-testid="audit-entry"][data-action="video.hide"][data-target-id="${videoId}"]`);
      await hide.waitFor();
      assert.equal(await text(hide.locator('[data-testid="audit-reason"]')), hideReason);
      assert.match(await text(hide), /@mia_moderator/);
      assert.match(await text(hide), new RegExp(videoTitle));
      // Filtering by action keeps only hides.
      await M.page.getByLabel('Action').selectOption('video.hide');
      await until('only hides to be listed', async () => {
        const actions = await M.page.locator('[data-testid="audit-entry"]').evaluateAll((rows) => rows.map((r) => r.dataset.action));
        return actions.length === 1 && actions[0] === 'video.hide';
      });
      assert.match(M.page.url(), /action=video\.hide/);
      await shot(M.page, 'admin-audit-desktop');
    }, M);

    if (!await step('an admin suspends the uploader in the users page, with a reason', async () => {
      await D.page.goto(`${baseUrl}/admin/users`, { waitUntil: 'networkidle' });
      const search = D.page.locator('.admin-filters input[name="query"]');
      await search.fill('una');
      await search.press('Enter');
      const row = D.page.locator(`[data-testid="admin-user"][data-username="${una.username}"]`);
      await until('only una to be listed', async () => (await D.page.locator('[data-testid="admin-user"]').count()) === 1 && (await row.count()) === 1);
      assert.match(D.page.url(), /query=una/);
      await row.locator('[data-testid="suspend-user"]').click();
      const dialog = D.page.locator('[data-testid="action-dialog"]');
      await dialog.getByLabel('Reason').fill(suspendReason);
      await dialog.locator('[data-testid="action-confirm"]').click();
      await until('the row to say suspended', async () => (await row.getAttribute('data-suspended')) === 'true');
      assert.match(await text(row), /Suspended/);
      assert.equal(await D.page.evaluate(() => document.activeElement?.dataset.testid), 'unsuspend-user', 'the focus is on Unsuspend');
    }, D)) return;

    await step('moderators get no role, delete or staff controls in the users page', async () => {
      await M.page.goto(`${baseUrl}/admin/users`, { waitUntil: 'networkidle' });
      await M.page.locator(`[data-testid="admin-user"][data-username="${vic.username}"]`).waitFor();
      assert.equal(await M.page.locator('[data-testid="change-role"], [data-testid="delete-user"]').count(), 0);
      for (const who of [ada, mia]) {
        const row = M.page.locator(`[data-testid="admin-user"][data-username="${who.username}"]`);
        assert.equal(await row.locator('button').count(), 0, `no buttons on ${who.username}`);
      }
      assert.equal(await M.page.locator(`[data-testid="admin-user"][data-username="${vic.username}"] [data-testid="suspend-user"]`).count(), 1);
    }, M);

    await step('an admin changes a role, and deletes an account only once its username is typed', async () => {
      const zed = { username: 'zed_spammer', email: 'zed@example.com', password: 'broken window 17 parade' };
      await signUp(baseUrl, zed);
      await D.page.goto(`${baseUrl}/admin/users?role=creator`, { waitUntil: 'networkidle' });
      assert.equal(await D.page.getByLabel('Role', { exact: true }).inputValue(), 'creator');
      const vicRow = D.page.locator(`[data-testid="admin-user"][data-username="${vic.username}"]`);
      await vicRow.locator('[data-testid="change-role"]').click();
      const dialog = D.page.locator('[data-testid="action-dialog"]');
      await dialog.getByLabel('New role').selectOption('viewer');
      await dialog.locator('[data-testid="action-confirm"]').click();
      await until('the role to change', async () => (await vicRow.getAttribute('data-role')) === 'viewer');
      const zedRow = D.page.locator(`[data-testid="admin-user"][data-username="${zed.username}"]`);
      await zedRow.locator('[data-testid="delete-user"]').click();
      await dialog.getByLabel(`Type ${zed.username} to confirm`).fill('zed');
      await dialog.locator('[data-testid="action-confirm"]').click();
      assert.match(await text(dialog.locator('.field__error:visible')), /Type zed_spammer to confirm/);
      assert.equal(await zedRow.count(), 1, 'not deleted yet');
      await dialog.getByLabel(`Type ${zed.username} to confirm`).fill(zed.username);
      await dialog.locator('[data-testid="action-confirm"]').click();
      await until('the row to go', async () => (await zedRow.count()) === 0);
      const gone = await fetch(`${baseUrl}/api/auth/login`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ login: zed.username, password: zed.password }),
      });
      assert.equal(gone.status, 401, 'the deleted account cannot sign in');
    }, D);

    await step('the suspended uploader’s log-in says the account is suspended', async () => {
      U.watch.allow(403, 'POST', '/api/auth/login');
      await U.page.goto(`${baseUrl}/login`, { waitUntil: 'networkidle' });
      await U.page.getByLabel('Username or e-mail').fill(una.username);
      await U.page.getByLabel('Password', { exact: true }).fill(una.password);
      await U.page.getByRole('button', { name: 'Sign in' }).click();
      const alert = U.page.locator('.form-alert');
      await until('the alert', async () => (await text(alert)) !== '');
      assert.match(await text(alert), /suspended/i);
      assert.match(U.page.url(), /\/login$/);
    }, U);

    await step('an admin closes sign-ups and lowers the upload size; the sign-up and upload pages follow', async () => {
      await D.page.goto(`${baseUrl}/admin/settings`, { waitUntil: 'networkidle' });
      const form = D.page.locator('[data-testid="settings-form"]');
      await form.waitFor();
      assert.match(await text(D.page.locator('[data-testid="settings-changed-by"]')), /Nobody has changed/);
      const checkbox = D.page.locator('[data-testid="setting-signup-open"]');
      assert.equal(await checkbox.isChecked(), true, 'sign-ups start open');
      // A size out of range is refused next to its field, and nothing is saved.
      D.watch.allow(400, 'PATCH', '/api/admin/settings');
      await D.page.locator('[data-testid="setting-max-upload"]').fill('0.5');
      await D.page.locator('[data-testid="setting-max-upload"]').locator('xpath=following-sibling::select').selectOption({ label: 'MiB' });
      await D.page.locator('[data-testid="settings-save"]').click();
      const error = form.locator('.size-field').first().locator('.field__error');
      await until('the error next to the field', () => error.isVisible());
      assert.ok((await text(error)).length > 0);
      assert.equal((await (await fetch(`${baseUrl}/api/site`)).json()).signup_open, true, 'nothing was saved');
      // Now a valid change.
      await D.page.locator('[data-testid="setting-max-upload"]').fill('512');
      await checkbox.uncheck();
      await D.page.getByLabel('Reason').fill('Closed while we deal with the spam wave');
      await D.page.locator('[data-testid="settings-save"]').click();
      await until('the saved message', async () => /^Saved/.test(await text(D.page.locator('[data-testid="settings-status"]')) ?? ''));
      assert.match(await text(D.page.locator('[data-testid="settings-status"]')), /sign-ups are closed.*512 MiB/);
      assert.match(await text(D.page.locator('[data-testid="settings-changed-by"]')), /@ada_admin/);
      await shot(D.page, 'admin-settings-desktop');
      const site = await (await fetch(`${baseUrl}/api/site`)).json();
      assert.equal(site.signup_open, false);
      assert.equal(site.max_upload_bytes, 512 * 1024 * 1024);

      await A.page.goto(`${baseUrl}/signup`, { waitUntil: 'networkidle' });
      assert.equal(await text(A.page.locator('h1')), 'Sign-ups are closed');
      assert.equal(await A.page.locator('form input[name="password"]').count(), 0, 'no sign-up form');
      await shot(A.page, 'admin-signup-closed-desktop', { fullPage: false });

      await D.page.goto(`${baseUrl}/upload`, { waitUntil: 'networkidle' });
      assert.match(await text(D.page.locator('[data-testid="upload-max-size"]')), /Up to 512 MB each/);
    }, D, A);

    await step('the audit log shows the suspension and the settings change in words', async () => {
      await D.page.goto(`${baseUrl}/admin/audit`, { waitUntil: 'networkidle' });
      const suspend = D.page.locator('[data-testid="audit-entry"][data-action="user.suspend"]');
      await suspend.waitFor();
      assert.equal(await text(suspend.locator('[data-testid="audit-reason"]')), suspendReason);
      const settings = D.page.locator('[data-testid="audit-entry"][data-action="settings.update"]');
      await settings.waitFor();
      assert.match(await text(settings), /Sign-ups open: yes → no/);
      assert.match(await text(settings), /Largest upload: .* → 512 MB/);
    }, D);

    // Every admin page, on desktop and on a phone: it renders, nothing scrolls sideways.
    const pages = ['', '/users', '/videos', '/reports', '/jobs', '/audit', '/settings'];
    await step('every admin page renders on desktop and phone widths without sideways scrolling', async () => {
      const phoneAdmin = await signedIn(browser, baseUrl, ada, { viewport: { width: phone.width, height: phone.height }, isMobile: true, hasTouch: true });
      for (const [who, viewport] of [[D, desktop], [phoneAdmin, phone]]) {
        for (const sub of pages) {
          await who.page.goto(`${baseUrl}/admin${sub}`, { waitUntil: 'networkidle' });
          await who.page.locator('.admin__title').waitFor();
          await who.page.locator('[aria-busy="true"]').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => {});
          await assertNoSidewaysScroll(who.page);
          const current = await who.page.locator('.admin-nav [aria-current="page"]').getAttribute('data-testid');
          assert.equal(current, `admin-nav-${sub ? sub.slice(1) : 'dashboard'}`);
          await shot(who.page, `admin-${sub ? sub.slice(1) : 'dashboard'}-${viewport.name}`);
        }
      }
      await assertClean(phoneAdmin.page, phoneAdmin.watch);
      await phoneAdmin.context.close();
    }, D);

    await step('the admin videos page lists the hidden video with its owner suspended, and unhides it', async () => {
      await D.page.goto(`${baseUrl}/admin/videos?hidden=true`, { waitUntil: 'networkidle' });
      const row = D.page.locator(`[data-testid="admin-video"][data-video-id="${videoId}"]`);
      await row.waitFor();
      assert.equal(await D.page.getByLabel('Hidden', { exact: true }).inputValue(), 'true');
      assert.match(await text(row), /Hidden/);
      assert.match(await text(row), /Owner suspended/);
      await row.locator('[data-testid="unhide-video"]').click();
      const dialog = D.page.locator('[data-testid="action-dialog"]');
      await dialog.locator('[data-testid="action-confirm"]').click();
      await until('the row to say shown', async () => (await row.getAttribute('data-hidden')) === 'false');
    }, D);
    await step('an admin retries the processing of a failed video from the videos page', async () => {
      const data = await readFile(path.join(mediaDir, 'not-a-video.mp4'));
      const login = await fetch(`${baseUrl}/api/auth/login`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ login: ada.username, password: ada.password }),
      });
      const { token } = await login.json();
      const callD = apiClient(baseUrl, token);
      const failedId = await uploadVideo(baseUrl, token, data, { title: 'Not really a video' });
      await until('the video to fail', async () => (await callD('GET', `/api/videos/${failedId}`)).data.video?.status === 'failed', 120_000, 500);
      await D.page.goto(`${baseUrl}/admin/videos`, { waitUntil: 'networkidle' });
      await D.page.getByLabel('Status').selectOption('failed');
      const row = D.page.locator(`[data-testid="admin-video"][data-video-id="${failedId}"]`);
      assert.match(D.page.url(), /status=failed/);
      // The unfiltered list (which has the failed video too) is replaced once the filtered one arrives.
      await until('only the failed video to be listed', async () =>
        (await D.page.locator('[data-testid="admin-video"]').count()) === 1 && (await row.count()) === 1);
      assert.ok((await text(row.locator('.admin-row__error'))).length > 0, 'the failure is shown');
      await shot(D.page, 'admin-videos-failed-desktop');
      await row.locator('[data-testid="retry-video"]').click();
      await D.page.locator('[data-testid="action-dialog"] [data-testid="action-confirm"]').click();
      await until('the row to say processing', async () => (await row.getAttribute('data-status')) !== 'failed');
      assert.equal(await row.locator('[data-testid="retry-video"]').count(), 0, 'no Retry while it processes');
    }, D);
    await Promise.all([V, A, U, M, D].map((who) => who.context.close()));
  } catch (error) {
    printOutput = true;
    throw error;
  } finally {
    await browser?.close();
    await site.cleanup({ printOutput });
  }
}

runTest(main);
