// Browser walk through the interactions with two people, against the real server:
// B subscribes to A on A's channel page; A uploads a video through the upload page; once
// it is ready B's bell shows the unread notification, B opens it (keyboard and mouse) and
// lands on the video, whose view is counted and where the server learns where B stopped
// (on pause and on leaving the page); B comments; A replies (as the creator); B likes,
// dislikes and likes again; after a reload the counts are right (1 like, 2 comments,
// 1 subscriber) and so is the subscriptions feed; B edits their comment; a visitor is
// asked to sign in; A turns comments off and on again, and deletes B's comment (with
// A's reply). The pages are looked at at phone width too. Fails on console errors, CSP
// violations, failed requests and error answers nobody allowed.
//
//   MONOTUBE_BIN=build/monotube [MONOTUBE_STATIC_DIR=static] node tests/e2e/interactions.mjs
//
// Screenshots: test-results/interactions-*.png.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import {
  assertClean, check, launchBrowser, newContext, results, runTest, viewports, watchPage,
} from './harness.mjs';
import { makeVideoFile } from './media.mjs';
import {
  apiClient, shot, signUp, startSite, until, withoutDeliberateAborts,
} from './site.mjs';

const [desktop, phone] = viewports;
const ann = { username: 'ann_creator', email: 'ann@example.com', password: 'seven purple 88 bicycles' };
const bob = { username: 'bob_viewer', email: 'bob@example.com', password: 'quiet blue 41 harbour' };
const fileName = 'Harbour at dusk.mp4';
const videoTitle = 'Harbour at dusk';
const commentText = 'Lovely light on the water!\nWhere was this filmed? https://example.com/map';
const replyText = 'Thank you! At the old harbour, just after sunset.';

async function signedInPage(browser, baseUrl, who, options = { viewport: desktop }) {
  const context = await newContext(browser, options);
  const answer = await context.request.post(`${baseUrl}/api/auth/login`, { data: { login: who.username, password: who.password } });
  assert.equal(answer.status(), 200, `log-in of ${who.username}`);
  const page = await context.newPage();
  return { context, page, watch: withoutDeliberateAborts(watchPage(page)) };
}

const text = async (locator) => (await locator.textContent())?.trim();

async function main() {
  const site = await startSite('interactions');
  const { baseUrl } = site;
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'monotube-e2e-interactions-files-'));
  let browser;
  try {
    if (!await check('the server starts and answers /healthz', site.healthy)) return;
    const a = await signUp(baseUrl, ann);
    const b = await signUp(baseUrl, bob);
    const callB = apiClient(baseUrl, b.token);
    const video = await makeVideoFile(path.join(workDir, fileName), { seconds: 6, megabytes: 2 });

    browser = await launchBrowser();
    const A = await signedInPage(browser, baseUrl, ann);
    const B = await signedInPage(browser, baseUrl, bob);
    // A failed step does not leave its leftovers to the next one.
    const step = async (name, fn, ...people) => check(name, async () => {
      try {
        await fn();
        for (const who of people) await assertClean(who.page, who.watch);
      } finally {
        for (const who of people) who.watch.reset();
      }
    });
    let videoId = null;

    if (!await step('B subscribes to A on A’s channel page; A’s own page has no Subscribe button', async () => {
      await B.page.goto(`${baseUrl}/channel/${a.user.id}`, { waitUntil: 'networkidle' });
      const subscribe = B.page.locator('[data-testid="subscribe-button"]');
      assert.equal(await subscribe.getAttribute('aria-pressed'), 'false');
      assert.equal(await text(subscribe), 'Subscribe');
      assert.equal(await text(B.page.locator('[data-testid="subscriber-count"]')), '0 subscribers');
      await subscribe.click();
      await until('the button to say Subscribed', async () => await subscribe.getAttribute('aria-pressed') === 'true');
      assert.equal(await text(subscribe), 'Subscribed');
      assert.equal(await text(B.page.locator('[data-testid="subscriber-count"]')), '1 subscriber');
      await A.page.goto(`${baseUrl}/channel/${a.user.id}`, { waitUntil: 'networkidle' });
      assert.equal(await A.page.locator('[data-testid="subscribe-button"]').count(), 0);
      assert.equal(await text(A.page.locator('[data-testid="subscriber-count"]')), '1 subscriber');
    }, A, B)) return;

    if (!await step('A uploads a video through the upload page and it becomes ready', async () => {
      await A.page.goto(`${baseUrl}/upload`, { waitUntil: 'networkidle' });
      await A.page.locator('[data-testid="upload-input"]').setInputFiles(video.file);
      const row = A.page.locator(`[data-testid="upload-item"][data-file-name="${fileName}"]`);
      await until('the upload to be ready', async () => ['ready', 'failed'].includes(await row.getAttribute('data-state')), 5 * 60_000, 500);
      assert.equal(await row.getAttribute('data-state'), 'ready');
      videoId = await row.getAttribute('data-video-id');
      assert.ok(videoId);
    }, A)) return;

    if (!await step('B’s bell shows the unread notification; the panel works with the keyboard; opening it marks it read', async () => {
      await B.page.goto(`${baseUrl}/`, { waitUntil: 'networkidle' });
      const bell = B.page.locator('[data-testid="notifications-button"]');
      // The notification is made when the video gets ready; the bell asks on each page load.
      await until('the unread badge', async () => {
        if (await bell.getAttribute('aria-label') === 'Notifications, 1 unread') return true;
        await B.page.reload({ waitUntil: 'networkidle' });
        return false;
      }, 30_000, 1000);
      assert.equal(await text(B.page.locator('[data-testid="notifications-badge"]')), '1');
      await bell.focus();
      await B.page.keyboard.press('Enter');
      const panel = B.page.locator('[data-testid="notifications-panel"]');
      await panel.waitFor();
      assert.equal(await bell.getAttribute('aria-expanded'), 'true');
      const item = panel.locator('[data-testid="notification"]');
      await item.first().waitFor();
      assert.equal(await item.count(), 1);
      assert.match((await item.first().innerText()).replace(/\s+/g, ' '), new RegExp(`${ann.username} uploaded: ${videoTitle}`));
      await until('the focus on the notification', () => item.first().evaluate((e) => e === document.activeElement), 5000);
      await shot(B.page, 'interactions-notifications-desktop', { fullPage: false });
      await B.page.keyboard.press('Escape');
      assert.ok(await panel.isHidden(), 'Escape closes the panel');
      assert.equal(await B.page.evaluate(() => document.activeElement?.dataset.testid), 'notifications-button', 'the focus is back on the bell');
      await bell.click();
      await item.first().waitFor();
      await Promise.all([B.page.waitForURL(`${baseUrl}/watch/${videoId}`), item.first().click()]);
      await B.page.locator('[data-testid="comments"]').waitFor();
      await until('no unread left', async () => await bell.getAttribute('aria-label') === 'Notifications', 5000);
      assert.ok(await B.page.locator('[data-testid="notifications-badge"]').isHidden());
    }, B)) return;

    await step('B’s play counts as a view, shown under the title; the pause tells the server where B stopped', async () => {
      await B.page.waitForFunction(() => window.__monotubePlayer?.video?.readyState >= 1, null, { timeout: 20_000 });
      if (await B.page.evaluate(() => window.__monotubePlayer.video.paused)) await B.page.locator('[data-testid="play-button"]').click();
      await until('the view count', async () => await text(B.page.locator('[data-testid="views"]')) === '1 view', 10_000);
      await B.page.waitForFunction(() => window.__monotubePlayer.video.currentTime > 2.5, null, { timeout: 10_000 });
      await B.page.locator('[data-testid="play-button"]').click();
      await B.page.waitForFunction(() => window.__monotubePlayer.video.paused);
      const stoppedAt = await B.page.evaluate(() => window.__monotubePlayer.video.currentTime);
      await until('the resume position', async () => {
        const { data } = await callB('GET', `/api/videos/${videoId}`);
        return Math.abs((data.video.resume_position ?? -10) - stoppedAt) < 0.5;
      }, 5000);
      // Leaving while it plays: the last report goes out as the page is left.
      await B.page.locator('[data-testid="play-button"]').click();
      await B.page.waitForFunction((t) => window.__monotubePlayer.video.currentTime > t + 1, stoppedAt, { timeout: 10_000 });
      const leftAt = await B.page.evaluate(() => window.__monotubePlayer.video.currentTime);
      await B.page.goto(`${baseUrl}/feed/subscriptions`, { waitUntil: 'networkidle' });
      await until('the position on leaving', async () => {
        const { data } = await callB('GET', `/api/videos/${videoId}`);
        return (data.video.resume_position ?? 0) >= leftAt - 0.1;
      }, 5000);
      await B.page.goBack({ waitUntil: 'networkidle' });
    }, B);

    await step('B comments: the counter counts, the comment shows at once with its links', async () => {
      const composer = B.page.locator('[data-testid="new-comment"]');
      const input = composer.getByLabel('Add a comment');
      await input.fill(commentText);
      assert.equal(await text(composer.locator('.composer__counter')), `${Array.from(commentText).length} / 2000`);
      await composer.getByRole('button', { name: 'Comment' }).click();
      const comment = B.page.locator('[data-testid="comment"]').first();
      await until('the comment', async () => await comment.locator('[data-testid="comment-body"]').textContent() === commentText);
      assert.equal(await input.inputValue(), '', 'the box is empty again');
      assert.equal(await B.page.locator('[data-testid="comment-count"]').getAttribute('data-count'), '1');
      assert.equal(await text(comment.locator('[data-testid="comment-author"]')), bob.username);
      const link = comment.locator('[data-testid="comment-body"] a');
      assert.equal(await link.getAttribute('href'), 'https://example.com/map');
      assert.equal(await link.getAttribute('rel'), 'nofollow noopener ugc');
    }, B);

    await step('A replies to B’s comment on the watch page; A has no Subscribe button on the own video', async () => {
      await A.page.goto(`${baseUrl}/watch/${videoId}`, { waitUntil: 'networkidle' });
      assert.equal(await A.page.locator('[data-testid="subscribe-button"]').count(), 0);
      assert.equal(await text(A.page.locator('[data-testid="subscriber-count"]')), '1 subscriber');
      const comment = A.page.locator('[data-testid="comment"]').first();
      await comment.locator('[data-testid="comment-body"]').waitFor();
      await comment.getByRole('button', { name: `Reply to ${bob.username}` }).click();
      const box = comment.locator('[data-testid="reply-composer"]');
      await box.getByLabel(`Reply to ${bob.username}`).fill(replyText);
      await box.getByRole('button', { name: 'Reply' }).click();
      const reply = comment.locator('[data-testid="reply"]');
      await reply.first().waitFor();
      assert.equal(await reply.locator('[data-testid="comment-body"]').textContent(), replyText);
      assert.match(await reply.locator('.comment__meta').innerText(), /Creator/);
      assert.equal(await A.page.locator('[data-testid="comment-count"]').getAttribute('data-count'), '2');
      assert.equal(await comment.locator('[data-testid="reply-composer"]').count(), 0, 'the reply box closes');
    }, A);

    await step('B likes, changes to dislike, and likes again: the counts follow', async () => {
      const like = B.page.locator('[data-testid="like-button"]');
      const dislike = B.page.locator('[data-testid="dislike-button"]');
      const counts = async () => [await text(B.page.locator('[data-testid="like-count"]')), await text(B.page.locator('[data-testid="dislike-count"]'))];
      // Clicks the button, waits until it shows `pressed`, then checks the [likes, dislikes] counts.
      const rate = async (button, what, pressed, expected) => {
        await button.click();
        await until(what, async () => await button.getAttribute('aria-pressed') === pressed);
        assert.deepEqual(await counts(), expected);
      };
      assert.deepEqual(await counts(), ['0', '0']);
      await rate(like, 'the like', 'true', ['1', '0']);
      await rate(dislike, 'the dislike', 'true', ['0', '1']);
      assert.equal(await like.getAttribute('aria-pressed'), 'false');
      await rate(dislike, 'no rating', 'false', ['0', '0']);
      await rate(like, 'the like again', 'true', ['1', '0']);
    }, B);

    await step('after a reload B sees 1 like, 2 comments, 1 subscriber, and A’s reply', async () => {
      await B.page.reload({ waitUntil: 'networkidle' });
      await B.page.locator('[data-testid="comment"]').first().waitFor();
      assert.equal(await B.page.locator('[data-testid="like-button"]').getAttribute('aria-pressed'), 'true');
      assert.equal(await text(B.page.locator('[data-testid="like-count"]')), '1');
      assert.equal(await B.page.locator('[data-testid="comment-count"]').getAttribute('data-count'), '2');
      assert.equal(await text(B.page.locator('[data-testid="comment-count"]')), '2 comments');
      assert.equal(await text(B.page.locator('[data-testid="subscriber-count"]')), '1 subscriber');
      assert.equal(await B.page.locator('[data-testid="subscribe-button"]').getAttribute('aria-pressed'), 'true');
      const toggle = B.page.locator('[data-testid="replies-toggle"]');
      assert.equal(await text(toggle), 'View 1 reply');
      await toggle.click();
      await B.page.locator('[data-testid="reply"]').waitFor();
      assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
      assert.equal(await B.page.locator('[data-testid="reply"] [data-testid="comment-body"]').textContent(), replyText);
      const { data } = await callB('GET', `/api/videos/${videoId}`);
      assert.equal(data.video.likes, 1);
      assert.equal(data.video.comment_count, 2);
      assert.equal(data.video.my_rating, 'like');
      assert.ok(data.video.views >= 1, `views ${data.video.views}`);
      await B.page.locator('[data-testid="video-title"]').scrollIntoViewIfNeeded();
      await B.page.mouse.move(5, 5);
      await shot(B.page, 'interactions-watch-desktop');
    }, B);

    await step('the subscriptions feed shows A’s video and the channels B follows', async () => {
      await B.page.goto(`${baseUrl}/`, { waitUntil: 'networkidle' });
      await B.page.getByRole('button', { name: `Account menu for ${bob.username}` }).click();
      await Promise.all([B.page.waitForURL(`${baseUrl}/feed/subscriptions`),
        B.page.getByRole('menuitem', { name: 'Subscriptions' }).click()]);
      await B.page.getByRole('heading', { level: 1, name: 'Subscriptions' }).waitFor();
      const card = B.page.locator(`[data-testid="video-card"][data-video-id="${videoId}"]`);
      await card.waitFor();
      assert.match(await card.innerText(), new RegExp(videoTitle));
      const channel = B.page.locator(`[data-testid="following-item"][data-channel-id="${a.user.id}"]`);
      await channel.waitFor();
      assert.match(await channel.innerText(), /1 subscriber/);
      await shot(B.page, 'interactions-feed-desktop');
      // Unsubscribe, and undo it with the same button.
      const toggle = channel.locator('[data-testid="subscribe-button"]');
      await toggle.click();
      await until('unsubscribed', async () => await toggle.getAttribute('aria-pressed') === 'false');
      assert.match(await channel.innerText(), /0 subscribers/);
      await toggle.click();
      await until('subscribed again', async () => await toggle.getAttribute('aria-pressed') === 'true');
      assert.match(await channel.innerText(), /1 subscriber/);
    }, B);

    await step('B edits the comment: it says (edited)', async () => {
      await B.page.goto(`${baseUrl}/watch/${videoId}`, { waitUntil: 'networkidle' });
      const comment = B.page.locator('[data-testid="comment"]').first();
      await comment.locator('[data-testid="edit-comment"]').click();
      const box = comment.locator('[data-testid="edit-composer"]');
      const input = box.getByLabel('Edit your comment');
      assert.equal(await input.inputValue(), commentText);
      await input.fill(`${commentText} (It looks like Brest.)`);
      await box.getByRole('button', { name: 'Save' }).click();
      await comment.locator('[data-testid="comment-edited"]').waitFor();
      assert.equal(await comment.locator('[data-testid="comment-body"]').first().textContent(), `${commentText} (It looks like Brest.)`);
      assert.equal(await B.page.evaluate(() => document.activeElement?.dataset.testid), 'edit-comment', 'the focus is back on Edit');
    }, B);

    await check('a visitor is asked to sign in to like, subscribe and comment', async () => {
      const context = await newContext(browser, { viewport: desktop });
      try {
        const page = await context.newPage();
        const watch = withoutDeliberateAborts(watchPage(page));
        await page.goto(`${baseUrl}/watch/${videoId}`, { waitUntil: 'networkidle' });
        await page.locator('[data-testid="comment"]').first().waitFor();
        assert.equal(await text(page.locator('[data-testid="like-count"]')), '1');
        const prompt = page.locator('[data-testid="sign-in-prompt"]');
        for (const testid of ['like-button', 'subscribe-button']) {
          await page.locator(`[data-testid="${testid}"]`).click();
          await prompt.waitFor();
          assert.equal(await prompt.getByRole('link', { name: 'Sign in' }).getAttribute('href'),
            `/login?next=${encodeURIComponent(`/watch/${videoId}`)}`);
          await page.keyboard.press('Escape');
          await prompt.waitFor({ state: 'hidden' });
        }
        assert.equal(await page.locator('[data-testid="like-button"]').getAttribute('aria-pressed'), 'false');
        assert.match(await page.locator('.comments__sign-in').innerText(), /Sign in to comment/);
        assert.equal(await page.locator('[data-testid="notifications-button"]').count(), 0, 'no bell for visitors');
        await assertClean(page, watch);
      } finally {
        await context.close();
      }
    });

    await step('at phone width: the watch page with comments and the notifications panel fit', async () => {
      const P = await signedInPage(browser, baseUrl, bob, { viewport: phone, isMobile: true, hasTouch: true });
      try {
        const fits = async (what) => {
          const overflow = await P.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          assert.ok(overflow <= 0, `${what} fits the width (overflow ${overflow}px)`);
        };
        await P.page.goto(`${baseUrl}/watch/${videoId}`, { waitUntil: 'networkidle' });
        await P.page.locator('[data-testid="comment"]').first().waitFor();
        await P.page.locator('[data-testid="replies-toggle"]').click();
        await P.page.locator('[data-testid="reply"]').waitFor();
        await fits('the watch page');
        await shot(P.page, 'interactions-watch-phone');
        await P.page.locator('[data-testid="notifications-button"]').click();
        await P.page.locator('[data-testid="notification"]').first().waitFor();
        const box = await P.page.locator('[data-testid="notifications-panel"]').boundingBox();
        assert.ok(box.x >= 0 && box.x + box.width <= phone.width, `the panel is on the screen (${JSON.stringify(box)})`);
        await shot(P.page, 'interactions-notifications-phone', { fullPage: false });
        await P.page.goto(`${baseUrl}/feed/subscriptions`, { waitUntil: 'networkidle' });
        await fits('the subscriptions page');
        await shot(P.page, 'interactions-feed-phone');
        await assertClean(P.page, P.watch);
      } finally {
        await P.context.close();
      }
    });

    const setComments = async (allowed) => {
      await A.page.goto(`${baseUrl}/my/videos`, { waitUntil: 'networkidle' });
      await A.page.locator(`[data-testid="my-video"][data-video-id="${videoId}"] [data-testid="edit-button"]`).click();
      const dialog = A.page.locator('[data-testid="edit-dialog"]');
      const allow = dialog.getByLabel('Allow comments');
      assert.equal(await allow.isChecked(), !allowed);
      await allow.setChecked(allowed);
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.waitFor({ state: 'hidden' });
      const { data } = await callB('GET', `/api/videos/${videoId}`);
      assert.equal(data.video.comments_enabled, allowed);
    };

    await step('A turns comments off in My videos: the watch page says so; on again, they are back', async () => {
      await setComments(false);
      await B.page.reload({ waitUntil: 'networkidle' });
      await B.page.locator('[data-testid="comments-off"]').waitFor();
      assert.equal(await text(B.page.locator('[data-testid="comments-off"]')), 'Comments are turned off.');
      assert.equal(await B.page.locator('[data-testid="new-comment"]').count(), 0);
      assert.equal(await B.page.locator('[data-testid="reply-button"]').count(), 0);
      assert.ok(await B.page.locator('[data-testid="sort-top"]').isHidden());
      await shot(B.page, 'interactions-comments-off-desktop');
      await setComments(true);
      await B.page.reload({ waitUntil: 'networkidle' });
      await B.page.locator('[data-testid="comment"]').first().waitFor();
      assert.equal(await B.page.locator('[data-testid="new-comment"]').count(), 1);
      assert.equal(await B.page.locator('[data-testid="comment-count"]').getAttribute('data-count'), '2');
    }, A, B);

    await step('A deletes B’s comment on the own video after confirming: its reply goes too', async () => {
      await A.page.goto(`${baseUrl}/watch/${videoId}`, { waitUntil: 'networkidle' });
      const comment = A.page.locator('[data-testid="comment"]').first();
      await comment.getByRole('button', { name: `Delete the comment of ${bob.username}` }).click();
      const dialog = A.page.locator('[data-testid="comment-delete-dialog"]');
      await dialog.waitFor();
      assert.match(await dialog.innerText(), /and its replies/);
      await dialog.getByRole('button', { name: 'Delete' }).click();
      await until('the comment to go', async () => await A.page.locator('[data-testid="comment"]').count() === 0);
      assert.equal(await A.page.locator('[data-testid="comment-count"]').getAttribute('data-count'), '0');
      await A.page.reload({ waitUntil: 'networkidle' });
      await A.page.locator('[data-testid="comments-empty"]').waitFor();
      assert.equal(await A.page.locator('[data-testid="comment-count"]').getAttribute('data-count'), '0');
    }, A);

    await A.context.close();
    await B.context.close();
  } finally {
    if (browser) await browser.close().catch(() => {});
    await site.cleanup({ printOutput: results.failed > 0 });
    await rm(workDir, { recursive: true, force: true });
  }
}

await runTest(main);
