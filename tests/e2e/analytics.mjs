// Analytics in the browser, against the real server: a creator uploads two real clips;
// other people watch them through the real view API (POST /api/videos/{id}/views: a
// play start, then a heartbeat with the seconds played and the position, as the player
// sends them), one likes, one comments, one subscribes and one subscribes and leaves
// again. Then the creator's studio shows totals equal to the API's figures and to the
// numbers this script expects, with charts drawn (SVG paths with a point per bucket, bars
// up and down), tooltips by pointer and keyboard, other ranges, and the top videos; a
// video's page shows its totals and the retention curve; the home page has the trending
// row and /trending its tabs; someone else gets the not-allowed page for that video's
// analytics; a visitor is sent to log in; the admin sees the site's figures. Each chart is
// screenshotted at desktop and phone width. Fails on console errors, CSP violations,
// failed requests and error answers nobody allowed.
//
//   MONOTUBE_BIN=build/monotube [MONOTUBE_STATIC_DIR=static] node tests/e2e/analytics.mjs
//
// Clips: /work/shared/media (MONOTUBE_TEST_MEDIA_DIR to use others).
// Screenshots: test-results/analytics-*.png.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import {
  assertClean, check, launchBrowser, newContext, repoRoot, runTest, viewports, watchPage,
} from './harness.mjs';
import {
  apiClient, shot, signUp, startSite, until, uploadVideo, waitForReady, withoutDeliberateAborts,
} from './site.mjs';

const [desktop, phone] = viewports;
const mediaDir = process.env.MONOTUBE_TEST_MEDIA_DIR ?? path.resolve(repoRoot, '..', 'shared', 'media');
const password = 'orange kettle 27 lanterns';
const cleo = { username: 'cleo_creator', email: 'cleo@example.com', password };
const vic = { username: 'vic_viewer', email: 'vic@example.com', password };
const wes = { username: 'wes_viewer', email: 'wes@example.com', password };
const otto = { username: 'otto_other', email: 'otto@example.com', password };
const admin = { username: 'ada_admin', email: 'ada@example.com', password };

// What the script makes happen, and so what the figures must say.
const plays = {
  flower: [  // [who, seconds played, position reached (null: the end)]
    ['vic', 5, null],
    ['wes', 2, 2],
    ['visitor', 1, 1],
  ],
  friday: [['vic', 3, 3]],
};
const expected = {
  flower: { views: 3, unique_viewers: 3, watch_time_ms: 8000, likes: 1, dislikes: 0, comments: 1 },
  channel: {
    views: 4, watch_time_ms: 11_000, average_view_duration_ms: 2750, likes: 1, dislikes: 0, comments: 1,
    subscribers_gained: 2, subscribers_lost: 1, subscribers_net: 1, subscribers: 1,
  },
};

const text = async (locator) => (await locator.textContent())?.trim();

async function signedInPage(browser, baseUrl, who, options = { viewport: desktop }) {
  const context = await newContext(browser, options);
  if (who) {
    const answer = await context.request.post(`${baseUrl}/api/auth/login`, { data: { login: who.username, password: who.password } });
    assert.equal(answer.status(), 200, `log-in of ${who.username}`);
  }
  const page = await context.newPage();
  return { context, page, watch: withoutDeliberateAborts(watchPage(page)) };
}

// The cards' exact numbers (data-value) by key.
async function cardValues(page, keys) {
  const values = {};
  for (const key of keys) values[key] = Number(await page.locator(`[data-testid="total-${key}"]`).getAttribute('data-value'));
  return values;
}

// A drawn chart: ready, an SVG with role="img" and a label, and the number of buckets.
async function chartState(page, testid) {
  const chart = page.locator(`[data-testid="${testid}"]`);
  const svg = chart.locator('svg[role="img"]');
  return {
    chart,
    state: await chart.getAttribute('data-state'),
    points: Number(await svg.getAttribute('data-points')),
    label: await svg.getAttribute('aria-label'),
  };
}

// How many points a line chart's path for `series` goes through.
async function pathPoints(page, testid, series) {
  const d = await page.locator(`[data-testid="${testid}"] path.chart__line[data-series="${series}"]`).getAttribute('d');
  return d.split(/[ML]/).filter(Boolean).map((pair) => pair.split(',').map(Number));
}

async function main() {
  const site = await startSite('analytics', {
    env: {
      MONOTUBE_ADMIN_USERNAME: admin.username, MONOTUBE_ADMIN_EMAIL: admin.email, MONOTUBE_ADMIN_PASSWORD: admin.password,
      // Roll-ups every second, so the figures are there as soon as the script looks.
      MONOTUBE_ANALYTICS_ROLLUP_INTERVAL_SECONDS: '1',
    },
  });
  const { baseUrl } = site;
  let browser;
  let failedEarly = false;
  try {
    if (!await check('the server starts and answers /healthz', site.healthy)) return;
    const c = await signUp(baseUrl, cleo);
    const v = await signUp(baseUrl, vic);
    const w = await signUp(baseUrl, wes);
    await signUp(baseUrl, otto);
    const call = {
      cleo: apiClient(baseUrl, c.token), vic: apiClient(baseUrl, v.token), wes: apiClient(baseUrl, w.token),
      visitor: apiClient(baseUrl, null),
    };

    const videos = {};
    if (!await check('the creator uploads two real clips and both become ready', async () => {
      for (const [key, file] of [['flower', 'flower.mp4'], ['friday', 'friday.mp4']]) {
        const data = await readFile(path.join(mediaDir, file));
        const id = await uploadVideo(baseUrl, c.token, data, { title: key === 'flower' ? 'Flower in the wind' : 'Friday at the station' });
        videos[key] = { id };
      }
      for (const key of Object.keys(videos)) videos[key] = await waitForReady(call.cleo, videos[key].id);
      assert.ok(videos.flower.duration > 4 && videos.friday.duration > 4, 'both have their duration');
    })) {
      failedEarly = true;
      return;
    }

    if (!await check('views, watch time, a like, a comment and subscriptions go through the real API', async () => {
      for (const [key, list] of Object.entries(plays)) {
        const video = videos[key];
        for (const [who, seconds, position] of list) {
          const start = await call[who]('POST', `/api/videos/${video.id}/views`, { position_seconds: 0 });
          assert.equal(start.status, 200, JSON.stringify(start.data));
          assert.equal(start.data.counted, true, `${who}'s play of ${key} counts`);
          const beat = await call[who]('POST', `/api/videos/${video.id}/views`, {
            watch_time_seconds: seconds, position_seconds: position ?? video.duration,
          });
          assert.equal(beat.status, 200, JSON.stringify(beat.data));
          assert.equal(beat.data.counted, false, 'a heartbeat is no new view');
        }
      }
      assert.equal((await call.vic('POST', `/api/videos/${videos.flower.id}/like`)).status, 200);
      const comment = await call.wes('POST', `/api/videos/${videos.flower.id}/comments`, { content: 'Lovely colours.' });
      assert.equal(comment.status, 201, JSON.stringify(comment.data));
      assert.equal((await call.vic('POST', `/api/users/${c.user.id}/subscribe`)).status, 200);
      assert.equal((await call.wes('POST', `/api/users/${c.user.id}/subscribe`)).status, 200);
      assert.equal((await call.wes('DELETE', `/api/users/${c.user.id}/subscribe`)).status, 200);
    })) {
      failedEarly = true;
      return;
    }

    let channel;
    if (!await check('the channel API has the expected figures once rolled up', async () => {
      const keys = Object.keys(expected.channel);
      channel = await until('the channel figures', async () => {
        const { status, data } = await call.cleo('GET', '/api/analytics/channel?range=28d');
        assert.equal(status, 200, JSON.stringify(data));
        return keys.every((key) => data.totals[key] === expected.channel[key]) ? data : null;
      }, 90_000, 1000).catch(async (error) => {
        const { data } = await call.cleo('GET', '/api/analytics/channel?range=28d');
        throw new Error(`${error.message}\n  expected ${JSON.stringify(expected.channel)}\n  got ${JSON.stringify(data.totals)}`);
      });
      assert.deepEqual(channel.top_videos.map((item) => item.video.id), [videos.flower.id, videos.friday.id]);
    })) {
      failedEarly = true;
      return;
    }

    browser = await launchBrowser();
    const C = await signedInPage(browser, baseUrl, cleo);
    const step = async (name, fn, ...people) => check(name, async () => {
      try {
        await fn();
        for (const who of people) await assertClean(who.page, who.watch);
      } finally {
        for (const who of people) who.watch.reset();
      }
    });

    await step('the account menu leads to the studio', async () => {
      await C.page.goto(`${baseUrl}/`, { waitUntil: 'networkidle' });
      await C.page.locator('#account-button').click();
      const link = C.page.getByRole('menuitem', { name: 'Studio' });
      await Promise.all([C.page.waitForURL(`${baseUrl}/studio`), link.click()]);
      await C.page.waitForSelector('main[data-loaded="28d"]');
    }, C);

    await step('the studio’s totals equal the API’s figures and the expected numbers', async () => {
      await C.page.goto(`${baseUrl}/studio`, { waitUntil: 'networkidle' });
      await C.page.waitForSelector('main[data-loaded="28d"]');
      const keys = ['views', 'watch_time_ms', 'average_view_duration_ms', 'likes', 'comments', 'subscribers'];
      const shown = await cardValues(C.page, keys);
      const { data } = await call.cleo('GET', '/api/analytics/channel?range=28d');
      for (const key of keys) {
        assert.equal(shown[key], data.totals[key], `${key} as the API says`);
        assert.equal(shown[key], expected.channel[key], `${key} as expected`);
      }
      assert.equal(await text(C.page.locator('[data-testid="total-views"]')), '4');
      assert.equal(await text(C.page.locator('[data-testid="total-watch_time_ms"]')), '11s');
      assert.equal(await text(C.page.locator('[data-testid="total-average_view_duration_ms"]')), '3s');
      assert.equal(await text(C.page.locator('[data-testid="total-subscribers"]')), '1');
      assert.equal(await text(C.page.locator('[data-testid="total-subscribers-detail"]')), '+2 gained · −1 lost');
      assert.equal(await text(C.page.locator('[data-testid="total-likes-detail"]')), '0 dislikes');
      assert.equal(await C.page.getByRole('button', { name: '28 days' }).getAttribute('aria-pressed'), 'true');
    }, C);

    await step('the studio’s charts are drawn: a line per series through every bucket, bars up and down', async () => {
      const { data } = await call.cleo('GET', '/api/analytics/channel?range=28d');
      const views = await chartState(C.page, 'chart-views');
      assert.equal(views.state, 'ready');
      assert.equal(views.points, data.series.length);
      assert.match(views.label, /Views: 4 in total/);
      const viewPoints = await pathPoints(C.page, 'chart-views', 'views');
      const timePoints = await pathPoints(C.page, 'chart-views', 'watch_time_ms');
      assert.equal(viewPoints.length, data.series.length);
      assert.equal(timePoints.length, data.series.length);
      // Today's bucket holds every view: the line's last point is its highest (smallest y).
      const last = data.series.length - 1;
      assert.equal(data.series[last].views, 4, 'all views fall in the last bucket');
      assert.equal(Math.min(...viewPoints.map(([, y]) => y)), viewPoints[last][1]);
      assert.equal(await C.page.locator('[data-testid="chart-views"] .chart__dots[data-series="views"] circle').count(), data.series.length);
      const tableRows = await C.page.locator('[data-testid="chart-views"] table tbody tr').count();
      assert.equal(tableRows, data.series.length, 'the text alternative has a row per bucket');

      const subscribers = await chartState(C.page, 'chart-subscribers');
      assert.equal(subscribers.state, 'ready');
      assert.equal(await subscribers.chart.locator('.chart__bars[data-series="subscribers_gained"] rect').count(), 1);
      assert.equal(await subscribers.chart.locator('.chart__bars[data-series="subscribers_lost"] rect').count(), 1);
      const geometry = (locator, names) => locator.evaluate((e, list) => list.map((n) => Number(e.getAttribute(n))), names);
      const [gained, lost] = await Promise.all(['subscribers_gained', 'subscribers_lost'].map((series) =>
        geometry(subscribers.chart.locator(`.chart__bars[data-series="${series}"] rect`), ['y', 'height'])));
      const [zero] = await geometry(subscribers.chart.locator('.chart__zero'), ['y1']);
      assert.ok(gained[0] + gained[1] <= zero + 0.5, 'gained goes up from zero');
      assert.ok(lost[0] >= zero - 0.5, 'lost goes down from zero');
      assert.ok(gained[1] > lost[1] * 1.5, 'two gained are taller than one lost');

      for (const testid of ['chart-views', 'chart-subscribers', 'chart-engagement']) {
        await C.page.locator(`[data-testid="${testid}"]`).screenshot({ path: path.join(repoRoot, 'test-results', `analytics-${testid}-desktop.png`) });
      }
      await shot(C.page, 'analytics-studio-desktop');
    }, C);

    await step('tooltips show a bucket’s values, by pointer and by keyboard', async () => {
      const plot = C.page.locator('[data-testid="chart-views"] .chart__plot');
      const box = await plot.boundingBox();
      await C.page.mouse.move(box.x + box.width - 30, box.y + box.height / 2);
      const tooltip = C.page.locator('[data-testid="chart-views"] .chart__tooltip');
      await tooltip.waitFor();
      const shown = (await tooltip.innerText()).replace(/\s+/g, ' ');
      assert.match(shown, /Views: 4/);
      assert.match(shown, /Watch time: 11s/);
      await C.page.mouse.move(0, 0);
      await until('the tooltip to go', () => tooltip.isHidden(), 3000);
      await plot.focus();
      await C.page.keyboard.press('End');
      assert.match(await text(C.page.locator('[data-testid="chart-views"] [aria-live]')), /Views 4, Watch time 11s/);
      await C.page.keyboard.press('ArrowLeft');
      assert.match(await text(C.page.locator('[data-testid="chart-views"] [aria-live]')), /Views 0, Watch time 0s/);
      await C.page.keyboard.press('Escape');
      assert.ok(await tooltip.isHidden());
    }, C);

    await step('other ranges: 7 days, and 24 hours in hourly buckets, with the same totals', async () => {
      for (const [range, label, buckets] of [['7d', '7 days', 'day'], ['24h', '24 hours', 'hour']]) {
        await C.page.getByRole('button', { name: label }).click();
        await C.page.waitForSelector(`main[data-loaded="${range}"]`);
        assert.equal(new URL(C.page.url()).searchParams.get('range'), range);
        const { data } = await call.cleo('GET', `/api/analytics/channel?range=${range}`);
        assert.equal(data.range.granularity, buckets);
        const shown = await cardValues(C.page, ['views', 'watch_time_ms']);
        assert.deepEqual(shown, { views: data.totals.views, watch_time_ms: data.totals.watch_time_ms });
        assert.deepEqual(shown, { views: 4, watch_time_ms: 11_000 });
        assert.equal((await chartState(C.page, 'chart-views')).points, data.series.length);
      }
      await C.page.locator('[data-testid="chart-views"]').screenshot({ path: path.join(repoRoot, 'test-results', 'analytics-chart-views-24h-desktop.png') });
      await C.page.reload({ waitUntil: 'networkidle' });
      await C.page.waitForSelector('main[data-loaded="24h"]');
      assert.equal(await C.page.getByRole('button', { name: '24 hours' }).getAttribute('aria-pressed'), 'true', 'the range survives a reload');
    }, C);

    await step('the top videos table lists both, the most watched first, and leads to a video’s analytics', async () => {
      const rows = C.page.locator('[data-testid="top-video"]');
      assert.deepEqual(await rows.evaluateAll((all) => all.map((row) => row.dataset.videoId)), [videos.flower.id, videos.friday.id]);
      assert.equal(await text(rows.first().locator('td').nth(2)), '3');
      await Promise.all([
        C.page.waitForURL(`${baseUrl}/studio/videos/${videos.flower.id}`),
        rows.first().getByRole('link', { name: `Analytics of “${videos.flower.title}”` }).click(),
      ]);
    }, C);

    await step('a video’s analytics: its totals, views and watch time, and the retention curve', async () => {
      await C.page.waitForSelector('main[data-loaded]');
      assert.equal(await text(C.page.locator('[data-testid="video-title"]')), videos.flower.title);
      const keys = Object.keys(expected.flower);
      const shown = await cardValues(C.page, keys);
      const { data } = await call.cleo('GET', `/api/analytics/videos/${videos.flower.id}`);
      for (const key of keys) {
        assert.equal(shown[key], data.totals[key], `${key} as the API says`);
        assert.equal(shown[key], expected.flower[key], `${key} as expected`);
      }
      const retention = await chartState(C.page, 'chart-retention');
      assert.equal(retention.state, 'ready');
      assert.equal(data.retention.length, 11);
      assert.equal(retention.points, 11);
      const points = await pathPoints(C.page, 'chart-retention', 'share');
      assert.equal(points.length, 11);
      assert.equal(data.retention[0].share, 1, 'every view starts at 0 %');
      // The curve never rises, and is drawn as the API says: the first point at the top.
      for (let i = 1; i < 11; i += 1) {
        assert.ok(data.retention[i].share <= data.retention[i - 1].share, 'retention never rises');
        assert.ok(points[i][1] >= points[i - 1][1] - 0.01, 'the drawn curve never rises');
      }
      assert.ok(Math.abs(data.retention[10].share - 1 / 3) < 1e-9, 'one of three views reached the end');
      const cells = await C.page.locator('[data-testid="chart-retention"] table tbody td').allTextContents();
      assert.deepEqual(cells, data.retention.map((point) => `${Math.round(point.share * 100)} %`));
      assert.equal((await chartState(C.page, 'chart-views')).state, 'ready');
      for (const testid of ['chart-views', 'chart-retention', 'chart-viewers', 'chart-average', 'chart-engagement']) {
        await C.page.locator(`[data-testid="${testid}"]`).screenshot({ path: path.join(repoRoot, 'test-results', `analytics-video-${testid}-desktop.png`) });
      }
      await shot(C.page, 'analytics-video-desktop');
    }, C);

    await step('hourly buckets on a video: 24 hours, then back to days when the range is too long for hours', async () => {
      await C.page.getByRole('button', { name: '7 days' }).click();
      await C.page.waitForSelector('main[data-loaded="7d/day"]');
      await C.page.getByRole('button', { name: 'Hourly' }).click();
      await C.page.waitForSelector('main[data-loaded="7d/hour"]');
      const { data } = await call.cleo('GET', `/api/analytics/videos/${videos.flower.id}?range=7d&granularity=hour`);
      assert.equal((await chartState(C.page, 'chart-views')).points, data.series.length);
      assert.equal(data.series.length, 7 * 24);
      await C.page.getByRole('button', { name: '90 days' }).click();
      await C.page.waitForSelector('main[data-loaded="90d/day"]');
      assert.ok(await C.page.getByRole('button', { name: 'Hourly' }).isDisabled(), 'no hours over 90 days');
    }, C);

    await step('“my videos” leads to each video’s analytics', async () => {
      await C.page.goto(`${baseUrl}/my/videos`, { waitUntil: 'networkidle' });
      const link = C.page.locator(`[data-testid="my-video"][data-video-id="${videos.friday.id}"] [data-testid="analytics-link"]`);
      await Promise.all([C.page.waitForURL(`${baseUrl}/studio/videos/${videos.friday.id}`), link.click()]);
      await C.page.waitForSelector('main[data-loaded]');
      assert.deepEqual(await cardValues(C.page, ['views', 'watch_time_ms']), { views: 1, watch_time_ms: 3000 });
    }, C);

    await step('the home page shows the trending row in the API’s order, and /trending has its tabs', async () => {
      const trending = await until('both videos trending', async () => {
        const { data } = await call.visitor('GET', '/api/analytics/trending?window=24h&limit=8');
        return data.videos?.length === 2 ? data : null;
      }, 90_000, 1000);
      assert.deepEqual(trending.videos.map((video) => video.id), [videos.flower.id, videos.friday.id], 'more fresh views first');
      await C.page.goto(`${baseUrl}/`, { waitUntil: 'networkidle' });
      const shelf = C.page.locator('[data-testid="trending-shelf"]');
      assert.ok(await shelf.isVisible(), 'the trending row shows');
      const ids = await shelf.locator('[data-testid="video-card"]').evaluateAll((cards) => cards.map((card) => card.dataset.videoId));
      assert.deepEqual(ids, trending.videos.map((video) => video.id));
      assert.equal(await text(shelf.locator('.video-card__note').first()), '3 views in the last 24 hours');
      await shot(C.page, 'analytics-home-desktop', { fullPage: false });

      await Promise.all([C.page.waitForURL(`${baseUrl}/trending`), shelf.getByRole('link', { name: 'See all trending' }).click()]);
      await C.page.waitForSelector('[role="tabpanel"][data-loaded="24h"]');
      const tab = C.page.getByRole('tab', { name: 'Last 24 hours' });
      assert.equal(await tab.getAttribute('aria-selected'), 'true');
      await tab.focus();
      await C.page.keyboard.press('ArrowLeft');
      await C.page.waitForSelector('[role="tabpanel"][data-loaded="1h"]');
      assert.equal(await C.page.getByRole('tab', { name: 'Last hour' }).getAttribute('aria-selected'), 'true');
      assert.equal(new URL(C.page.url()).searchParams.get('window'), '1h');
      const { data: hour } = await call.visitor('GET', '/api/analytics/trending?window=1h&limit=24');
      const shown = await C.page.locator('#trending-grid [data-testid="video-card"]').evaluateAll((cards) => cards.map((card) => card.dataset.videoId));
      assert.deepEqual(shown, hour.videos.map((video) => video.id));
    }, C);

    await step('at phone width the studio and the video page fit, with every chart drawn', async () => {
      const P = await signedInPage(browser, baseUrl, cleo, { viewport: { width: phone.width, height: phone.height }, isMobile: true, hasTouch: true });
      try {
        await P.page.goto(`${baseUrl}/studio`, { waitUntil: 'networkidle' });
        await P.page.waitForSelector('main[data-loaded="28d"]');
        for (const testid of ['chart-views', 'chart-subscribers', 'chart-engagement']) {
          assert.equal((await chartState(P.page, testid)).state, 'ready');
          await P.page.locator(`[data-testid="${testid}"]`).screenshot({ path: path.join(repoRoot, 'test-results', `analytics-${testid}-phone.png`) });
        }
        assert.ok(await P.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling');
        await shot(P.page, 'analytics-studio-phone');
        // A tap shows the tapped bucket's values.
        const plot = P.page.locator('[data-testid="chart-views"] .chart__plot');
        await plot.scrollIntoViewIfNeeded();
        const box = await plot.boundingBox();
        await P.page.touchscreen.tap(box.x + box.width - 24, box.y + box.height / 2);
        const tooltip = P.page.locator('[data-testid="chart-views"] .chart__tooltip');
        await tooltip.waitFor();
        assert.match((await tooltip.innerText()).replace(/\s+/g, ' '), /Views: 4 Watch time: 11s/);
        await P.page.touchscreen.tap(box.x + 40, box.y + box.height / 2);
        assert.match((await tooltip.innerText()).replace(/\s+/g, ' '), /Views: 0 Watch time: 0s/);

        await P.page.goto(`${baseUrl}/studio/videos/${videos.flower.id}`, { waitUntil: 'networkidle' });
        await P.page.waitForSelector('main[data-loaded]');
        assert.equal((await chartState(P.page, 'chart-retention')).state, 'ready');
        await P.page.locator('[data-testid="chart-retention"]').screenshot({ path: path.join(repoRoot, 'test-results', 'analytics-video-chart-retention-phone.png') });
        assert.ok(await P.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling');
        await shot(P.page, 'analytics-video-phone');
        await assertClean(P.page, P.watch);
      } finally {
        await P.context.close();
      }
    });

    await step('someone else gets the not-allowed page for the video’s analytics, and an empty studio of their own', async () => {
      const O = await signedInPage(browser, baseUrl, otto);
      try {
        O.watch.allow(403, 'GET', `/api/analytics/videos/${videos.flower.id}`);
        await O.page.goto(`${baseUrl}/studio/videos/${videos.flower.id}`, { waitUntil: 'networkidle' });
        const denied = O.page.locator('[data-testid="analytics-forbidden"]');
        await denied.waitFor();
        assert.equal(await text(denied.locator('h1')), 'You can’t see this video’s analytics');
        assert.equal(await O.page.locator('[data-testid="chart-views"]').count(), 0, 'no figures leak');
        await O.page.goto(`${baseUrl}/studio`, { waitUntil: 'networkidle' });
        await O.page.waitForSelector('main[data-loaded="28d"]');
        assert.equal(await O.page.locator('[data-testid="total-views"]').getAttribute('data-value'), '0');
        assert.equal(await O.page.locator('[data-testid="chart-views"]').getAttribute('data-state'), 'empty');
        assert.equal(await text(O.page.locator('[data-testid="chart-views"] .chart__empty')), 'No views in this period yet.');
        await O.page.locator('[data-testid="chart-views"]').screenshot({ path: path.join(repoRoot, 'test-results', 'analytics-chart-empty-desktop.png') });
        await assertClean(O.page, O.watch);
      } finally {
        await O.context.close();
      }
    });

    await step('a visitor is sent to log in first', async () => {
      const V = await signedInPage(browser, baseUrl, null);
      try {
        await V.page.goto(`${baseUrl}/studio`);
        await V.page.waitForURL(`${baseUrl}/login?next=%2Fstudio`);
        await assertClean(V.page, V.watch);
      } finally {
        await V.context.close();
      }
    });

    await step('the admin sees the site’s figures, equal to the API’s and to the expected numbers', async () => {
      const A = await signedInPage(browser, baseUrl, admin);
      try {
        await A.page.goto(`${baseUrl}/admin/analytics`, { waitUntil: 'networkidle' });
        await A.page.waitForSelector('[data-testid="site-analytics"][data-loaded="28d"]');
        const answer = await A.context.request.get(`${baseUrl}/api/analytics/site?range=28d`);
        const data = await answer.json();
        const shown = await cardValues(A.page, ['signups', 'uploads', 'views', 'watch_time_ms']);
        assert.deepEqual(shown, data.totals);
        assert.equal(shown.uploads, 2);
        assert.equal(shown.views, expected.channel.views);
        assert.equal(shown.watch_time_ms, expected.channel.watch_time_ms);
        assert.ok(shown.signups >= 4, 'the four sign-ups of this script at least');
        for (const testid of ['chart-site-views', 'chart-site-growth']) {
          assert.equal((await chartState(A.page, testid)).state, 'ready');
          await A.page.locator(`[data-testid="${testid}"]`).screenshot({ path: path.join(repoRoot, 'test-results', `analytics-${testid}-desktop.png`) });
        }
        await assertClean(A.page, A.watch);
      } finally {
        await A.context.close();
      }
    });

    // Last, as the player starts playing on its own and would add views to the figures.
    await step('the watch page has an Analytics link for the owner only', async () => {
      await C.page.goto(`${baseUrl}/watch/${videos.friday.id}`, { waitUntil: 'networkidle' });
      assert.equal(await C.page.locator('[data-testid="analytics-link"]').getAttribute('href'), `/studio/videos/${videos.friday.id}`);
      const O = await signedInPage(browser, baseUrl, otto);
      try {
        await O.page.goto(`${baseUrl}/watch/${videos.friday.id}`, { waitUntil: 'networkidle' });
        await O.page.locator('[data-testid="video-title"]').waitFor();
        assert.equal(await O.page.locator('[data-testid="analytics-link"]').count(), 0, 'no analytics link on someone else’s video');
        await assertClean(O.page, O.watch);
      } finally {
        await O.context.close();
      }
    }, C);
  } finally {
    await browser?.close();
    await site.cleanup({ printOutput: failedEarly });
  }
}

runTest(main);
