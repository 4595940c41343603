// What the tests share beyond harness.mjs: a server on a fresh data directory with
// accounts signed up through the API, a video uploaded over tus from Node (tus-js-client,
// as the upload page does) and waited for until it is ready, polling with a deadline, and
// screenshots into test-results/.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import * as tus from 'tus-js-client';

import {
  freePort, repoRoot, resultsDir, startServer, stopServer, waitForHealthy,
} from './harness.mjs';

// Requests left behind on purpose are no problem: media segments hls.js stops loading
// when a watch page is left, and the player's last view report, sent with keepalive as
// the page is left (the server still gets it; the page no longer waits for the answer).
export function withoutDeliberateAborts(watch) {
  const original = watch.unexpected.bind(watch);
  watch.unexpected = () => original().filter((p) => !(p.kind === 'failed request' && /\(net::ERR_ABORTED\)$/.test(p.text) &&
    (/^GET \S+\/media\/[^/]+\/\S+\.(m4s|mp4|m3u8|ts)(\?\S*)? /.test(p.text) || /^POST \S+\/api\/videos\/[^/]+\/views /.test(p.text))));
  return watch;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Resolves to fn()'s first truthy answer; fails after timeoutMs.
export async function until(what, fn, timeoutMs = 15_000, intervalMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
}

export async function shot(page, name, { fullPage = true } = {}) {
  await mkdir(resultsDir, { recursive: true });
  // From the top, so the sticky header is not drawn in the middle of a full-page shot.
  if (fullPage) await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(resultsDir, `${name}.png`), fullPage });
}

// The server, with MONOTUBE_SIGNUP_ROLE=creator unless signupRole says otherwise (null:
// the server's own default), and any other MONOTUBE_* settings in `env`.
// Resolves {baseUrl, server, binary, dataDir, healthy(), cleanup()}.
export async function startSite(prefix, { signupRole = 'creator', env = {} } = {}) {
  const binary = process.env.MONOTUBE_BIN;
  if (!binary) throw new Error('set MONOTUBE_BIN to the monotube binary (e.g. build/monotube)');
  const staticDir = path.resolve(process.env.MONOTUBE_STATIC_DIR ?? path.join(repoRoot, 'static'));
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `monotube-e2e-${prefix}-`));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const server = startServer(binary, {
    MONOTUBE_LISTEN: `127.0.0.1:${port}`,
    MONOTUBE_DATA_DIR: dataDir,
    MONOTUBE_STATIC_DIR: staticDir,
    ...(signupRole ? { MONOTUBE_SIGNUP_ROLE: signupRole } : {}),
    ...env,
  });
  return {
    baseUrl,
    server,
    binary,
    dataDir,
    healthy: () => waitForHealthy(baseUrl, server, 30_000),
    async cleanup({ printOutput = false } = {}) {
      await stopServer(server);
      if (printOutput) console.log(`--- server output (last lines) ---\n${server.output.join('\n')}`);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

// Signs up and logs in through the API. Resolves {token, user}.
export async function signUp(baseUrl, who) {
  const signup = await fetch(`${baseUrl}/api/auth/signup`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(who),
  });
  assert.equal(signup.status, 201, `sign-up of ${who.username}: ${await signup.text()}`);
  const login = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ login: who.username, password: who.password }),
  });
  const data = await login.json();
  assert.equal(login.status, 200, `log-in of ${who.username}: ${JSON.stringify(data)}`);
  return { token: data.token, user: data.user };
}

// A JSON client with a Bearer token: call(method, path, body) -> {status, data}.
export function apiClient(baseUrl, token) {
  return async (method, pathname, body) => {
    const response = await fetch(`${baseUrl}${pathname}`, {
      method,
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const type = response.headers.get('content-type') ?? '';
    const data = type.includes('application/json') ? await response.json() : await response.text();
    return { status: response.status, data };
  };
}

// Uploads `data` (a Buffer) over tus and resolves to the new video's id.
export function uploadVideo(baseUrl, token, data, { title, visibility = 'public' }) {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(data, {
      endpoint: `${baseUrl}/api/uploads`,
      chunkSize: 1024 * 1024,
      retryDelays: null,
      headers: { Authorization: `Bearer ${token}` },
      metadata: { filename: `${title}.mp4`, filetype: 'video/mp4', title, visibility },
      onSuccess: () => resolve(new URL(upload.url).pathname.split('/').pop()),
      onError: reject,
    });
    upload.start();
  });
}

export async function waitForReady(call, id, timeoutMs = 5 * 60_000) {
  return until(`video ${id} to be ready`, async () => {
    const { status, data } = await call('GET', `/api/videos/${id}`);
    assert.equal(status, 200, `GET /api/videos/${id}: ${JSON.stringify(data)}`);
    assert.notEqual(data.video.status, 'failed', `the video failed: ${data.video.failure_reason}`);
    return data.video.status === 'ready' ? data.video : null;
  }, timeoutMs, 500);
}
