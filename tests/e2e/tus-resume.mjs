// Resumable uploads (tus 1.0.0 at /api/uploads) from Node with tus-js-client, the same
// client the upload page uses, against the real server — no browser:
//   1. an upload aborted half-way is finished by a new client given its URL, and the
//      stored original equals the file byte for byte (and becomes a ready video);
//   2. the server is killed (SIGKILL) half-way and restarted on the same data directory
//      and port; the upload resumes from what the server had acknowledged and ends
//      byte-identical;
//   3. termination: DELETE, then HEAD answers 404 or 410 and the video is gone;
//   4. refusals with raw requests: wrong Tus-Resumable → 412, PATCH at a wrong
//      Upload-Offset → 409, wrong Content-Type → 415, Upload-Length over the maximum →
//      413, no credentials → 401, someone else's upload → 403/404.
//
//   MONOTUBE_BIN=build/monotube node tests/e2e/tus-resume.mjs
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import * as tus from 'tus-js-client';

import {
  check, freePort, repoRoot, results, runTest, startServer, stopServer, waitForHealthy,
} from './harness.mjs';
import { makeVideoFile } from './media.mjs';
import { signUp, sleep } from './site.mjs';

const chunkSize = 256 * 1024;
const sha256 = (buffer) => createHash('sha256').update(buffer).digest('hex');
const b64 = (text) => Buffer.from(text, 'utf8').toString('base64');

function metadataHeader(fields) {
  return Object.entries(fields).map(([key, value]) => `${key} ${b64(value)}`).join(',');
}

// Runs a tus upload until it succeeds, fails, or stop(accepted) returns true after a
// chunk (then it is aborted). Resolves {outcome: 'done'|'stopped'|'error', url, accepted, error}.
function runUpload(data, { baseUrl, token, uploadUrl = null, metadata = {}, stop = () => false, retryDelays = null }) {
  return new Promise((resolve) => {
    let accepted = 0;
    let settled = false;
    const finish = (result) => {
      if (!settled) {
        settled = true;
        resolve({ ...result, url: upload.url, accepted });
      }
    };
    const upload = new tus.Upload(data, {
      endpoint: `${baseUrl}/api/uploads`,
      uploadUrl,
      chunkSize,
      retryDelays,
      headers: { Authorization: `Bearer ${token}` },
      metadata,
      onChunkComplete: (_size, bytesAccepted) => {
        accepted = bytesAccepted;
        if (stop(bytesAccepted, upload)) {
          upload.abort().then(() => finish({ outcome: 'stopped' }), () => finish({ outcome: 'stopped' }));
        }
      },
      onSuccess: () => finish({ outcome: 'done' }),
      onError: (error) => finish({ outcome: 'error', error }),
    });
    upload.start();
  });
}

const videoId = (url) => new URL(url).pathname.split('/').pop();

async function get(baseUrl, token, pathname) {
  const response = await fetch(`${baseUrl}${pathname}`, { headers: { Authorization: `Bearer ${token}` } });
  const type = response.headers.get('content-type') ?? '';
  return {
    status: response.status,
    headers: response.headers,
    data: type.includes('json') ? await response.json() : Buffer.from(await response.arrayBuffer()),
  };
}

async function waitForSettled(baseUrl, token, id, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { status, data } = await get(baseUrl, token, `/api/videos/${id}`);
    assert.equal(status, 200);
    if (data.video.status === 'ready' || data.video.status === 'failed') return data.video;
    await sleep(500);
  }
  throw new Error(`video ${id} did not finish processing within ${timeoutMs} ms`);
}

async function main() {
  const binary = process.env.MONOTUBE_BIN;
  if (!binary) throw new Error('set MONOTUBE_BIN to the monotube binary (e.g. build/monotube)');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'monotube-e2e-tus-'));
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'monotube-e2e-tus-files-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = {
    MONOTUBE_LISTEN: `127.0.0.1:${port}`,
    MONOTUBE_DATA_DIR: dataDir,
    MONOTUBE_STATIC_DIR: path.join(repoRoot, 'static'),
    MONOTUBE_SIGNUP_ROLE: 'creator',
  };
  let server = startServer(binary, env);
  try {
    if (!await check('the server starts and answers /healthz', () => waitForHealthy(baseUrl, server, 30_000))) return;
    const { token } = await signUp(baseUrl, { username: 'tus_creator', email: 'tus@example.com', password: 'brisk amber 19 meadow' });
    const { data: source } = await makeVideoFile(path.join(workDir, 'source.mp4'), { seconds: 4, megabytes: 4 });
    const half = Math.floor(source.length / 2);
    assert.ok(source.length > 8 * chunkSize, `the file spans many chunks (${source.length} bytes)`);
    const metadata = (title) => ({ filename: `${title}.mp4`, filetype: 'video/mp4', title, tags: 'tus,test', visibility: 'public' });

    await check('OPTIONS /api/uploads describes the tus server', async () => {
      const response = await fetch(`${baseUrl}/api/uploads`, { method: 'OPTIONS' });
      assert.ok([200, 204].includes(response.status), `OPTIONS answered ${response.status}`);
      assert.match(response.headers.get('tus-version') ?? '', /1\.0\.0/);
      const extensions = response.headers.get('tus-extension') ?? '';
      for (const extension of ['creation', 'termination']) assert.ok(extensions.includes(extension), `Tus-Extension has ${extension}`);
    });

    await check('an upload aborted half-way is finished by a new client with its URL, byte for byte', async () => {
      const first = await runUpload(source, {
        baseUrl, token, metadata: metadata('aborted half-way'), stop: (accepted) => accepted >= half,
      });
      assert.equal(first.outcome, 'stopped', first.error?.message);
      assert.ok(first.url, 'the upload has a URL');
      const id = videoId(first.url);
      assert.equal(new URL(first.url).pathname, `/api/uploads/${id}`);
      const during = await get(baseUrl, token, `/api/videos/${id}`);
      assert.equal(during.status, 200, 'the video exists while it uploads');
      assert.equal(during.data.video.status, 'uploading');
      assert.equal(during.data.video.title, 'aborted half-way');

      const second = await runUpload(source, { baseUrl, token, uploadUrl: first.url });
      assert.equal(second.outcome, 'done', second.error?.message);
      assert.equal(second.url, first.url, 'the same upload was continued');
      const original = await get(baseUrl, token, `/api/videos/${id}/original`);
      assert.equal(original.status, 200);
      assert.equal(original.data.length, source.length);
      assert.equal(sha256(original.data), sha256(source), 'the original equals the file');
      const video = await waitForSettled(baseUrl, token, id, 180_000);
      assert.equal(video.status, 'ready', `processing ended ${video.status}: ${video.failure_reason}`);
      assert.deepEqual(video.tags, ['tus', 'test']);
    });

    await check('after a SIGKILL half-way and a restart, the upload resumes and ends byte-identical', async () => {
      let acknowledged = 0;
      const first = await runUpload(source, {
        baseUrl, token, metadata: metadata('killed half-way'),
        stop: (accepted) => {
          if (accepted < half || acknowledged > 0) return false;
          acknowledged = accepted;
          server.child.kill('SIGKILL');
          return false; // let the client run into the dead server
        },
      });
      assert.equal(first.outcome, 'error', 'the client noticed the server is gone');
      assert.ok(acknowledged > 0);
      const killed = await server.exited;
      assert.equal(killed.signal, 'SIGKILL');

      server = startServer(binary, env);
      await waitForHealthy(baseUrl, server, 30_000);
      const head = await fetch(first.url, { method: 'HEAD', headers: { Authorization: `Bearer ${token}`, 'Tus-Resumable': '1.0.0' } });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('cache-control'), 'no-store', 'HEAD answers must not be cached');
      const offset = Number(head.headers.get('upload-offset'));
      assert.ok(offset >= acknowledged && offset <= source.length,
        `the server kept what it acknowledged (offset ${offset}, acknowledged ${acknowledged})`);
      assert.equal(Number(head.headers.get('upload-length')), source.length);

      const second = await runUpload(source, { baseUrl, token, uploadUrl: first.url });
      assert.equal(second.outcome, 'done', second.error?.message);
      const id = videoId(first.url);
      const original = await get(baseUrl, token, `/api/videos/${id}/original`);
      assert.equal(original.status, 200);
      assert.equal(sha256(original.data), sha256(source), 'the original equals the file');
      const video = await waitForSettled(baseUrl, token, id, 180_000);
      assert.equal(video.status, 'ready', `processing ended ${video.status}: ${video.failure_reason}`);
    });

    const create = (headers = {}) => fetch(`${baseUrl}/api/uploads`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`, 'Tus-Resumable': '1.0.0', 'Upload-Length': String(source.length),
        'Upload-Metadata': metadataHeader(metadata('raw')), ...headers,
      },
    });

    await check('termination: DELETE ends the upload; HEAD then answers 404 or 410 and the video is gone', async () => {
      const first = await runUpload(source, {
        baseUrl, token, metadata: metadata('terminated'), stop: (accepted) => accepted >= 2 * chunkSize,
      });
      assert.equal(first.outcome, 'stopped');
      const deleted = await fetch(first.url, { method: 'DELETE', headers: { Authorization: `Bearer ${token}`, 'Tus-Resumable': '1.0.0' } });
      assert.equal(deleted.status, 204);
      const head = await fetch(first.url, { method: 'HEAD', headers: { Authorization: `Bearer ${token}`, 'Tus-Resumable': '1.0.0' } });
      assert.ok([404, 410].includes(head.status), `HEAD after DELETE answered ${head.status}`);
      assert.equal((await get(baseUrl, token, `/api/videos/${videoId(first.url)}`)).status, 404);
    });

    await check('refusals: 412, 409, 415, 413, 401 and someone else’s upload', async () => {
      const wrongVersion = await create({ 'Tus-Resumable': '0.2.2' });
      assert.equal(wrongVersion.status, 412, 'a wrong Tus-Resumable is refused');
      assert.match(wrongVersion.headers.get('tus-version') ?? '', /1\.0\.0/, 'the 412 names the supported version');

      const created = await create();
      assert.equal(created.status, 201);
      assert.equal(created.headers.get('tus-resumable'), '1.0.0');
      const location = new URL(created.headers.get('location'), baseUrl).href;
      const patch = (headers, body = Buffer.alloc(1024, 7)) => fetch(location, {
        method: 'PATCH',
        headers: {
          Authorization: `Bearer ${token}`, 'Tus-Resumable': '1.0.0', 'Content-Type': 'application/offset+octet-stream',
          'Upload-Offset': '0', ...headers,
        },
        body,
      });
      assert.equal((await patch({ 'Upload-Offset': '4096' })).status, 409, 'a PATCH at the wrong offset conflicts');
      assert.equal((await patch({ 'Content-Type': 'application/json' })).status, 415, 'a wrong Content-Type is refused');
      const good = await patch({});
      assert.equal(good.status, 204, 'a right PATCH is taken');
      assert.equal(good.headers.get('upload-offset'), '1024');

      const options = await fetch(`${baseUrl}/api/uploads`, { method: 'OPTIONS' });
      let maximum = Number(options.headers.get('tus-max-size'));
      if (!(maximum > 0)) {
        const mine = await get(baseUrl, token, '/api/me/videos?limit=1');
        maximum = Number(mine.data?.quota?.max_upload_bytes);
      }
      assert.ok(maximum > 0, 'the server says how large an upload may be');
      const tooLarge = await create({ 'Upload-Length': String(maximum + 1) });
      assert.equal(tooLarge.status, 413, 'an upload over the maximum is refused');

      const anonymous = await fetch(`${baseUrl}/api/uploads`, {
        method: 'POST', headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '10', 'Upload-Metadata': metadataHeader(metadata('anon')) },
      });
      assert.equal(anonymous.status, 401, 'no credentials, no upload');

      const { token: otherToken } = await signUp(baseUrl, { username: 'tus_other', email: 'other@example.com', password: 'gentle copper 33 river' });
      const theirs = await fetch(location, { method: 'HEAD', headers: { Authorization: `Bearer ${otherToken}`, 'Tus-Resumable': '1.0.0' } });
      assert.ok([403, 404].includes(theirs.status), `someone else's HEAD answered ${theirs.status}`);
      const theirPatch = await fetch(location, {
        method: 'PATCH',
        headers: {
          Authorization: `Bearer ${otherToken}`, 'Tus-Resumable': '1.0.0', 'Content-Type': 'application/offset+octet-stream',
          'Upload-Offset': '1024',
        },
        body: Buffer.alloc(10),
      });
      assert.ok([403, 404].includes(theirPatch.status), `someone else's PATCH answered ${theirPatch.status}`);
      const theirDelete = await fetch(location, { method: 'DELETE', headers: { Authorization: `Bearer ${otherToken}`, 'Tus-Resumable': '1.0.0' } });
      assert.ok([403, 404].includes(theirDelete.status), `someone else's DELETE answered ${theirDelete.status}`);
      await fetch(location, { method: 'DELETE', headers: { Authorization: `Bearer ${token}`, 'Tus-Resumable': '1.0.0' } });
    });
  } finally {
    await stopServer(server);
    if (results.failed > 0) console.log(`--- server output (last lines) ---\n${server.output.join('\n')}`);
    await rm(dataDir, { recursive: true, force: true });
    await rm(workDir, { recursive: true, force: true });
  }
}

await runTest(main);
