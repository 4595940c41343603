// Browser smoke test: starts the real server, loads the UI in headless Chromium at
// desktop and phone widths, and checks that it renders cleanly under the server's
// Content-Security-Policy (no console errors, failed requests or CSP violations), that
// unknown pages get the friendly 404 page, and that SIGTERM stops the server cleanly.
//
//   MONOTUBE_BIN=build/monotube [MONOTUBE_STATIC_DIR=static] node tests/e2e/smoke.mjs
//
// Screenshots go to test-results/ at the repository root.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const resultsDir = path.join(repoRoot, 'test-results');
const chromiumPath = process.env.MONOTUBE_CHROMIUM ?? '/usr/bin/chromium';
const viewports = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 375, height: 740 },
];

let passed = 0;
let failed = 0;

async function check(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`FAILED - ${name}\n  ${String(error?.stack ?? error).replace(/\n/g, '\n  ')}`);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// The server process, with its output kept for the failure report.
function startServer(binary, env) {
  // The server warns about MONOTUBE_* variables it does not know, so the test's own stay here.
  const { MONOTUBE_BIN, MONOTUBE_CHROMIUM, ...inherited } = process.env;
  const child = spawn(binary, ['serve'], { env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = [];
  const keep = (chunk) => {
    output.push(...chunk.toString().split('\n').filter(Boolean));
    if (output.length > 200) output.splice(0, output.length - 200);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, output, exited };
}

async function waitForHealthy(baseUrl, server, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) throw new Error(`the server exited early with code ${server.child.exitCode}`);
    try {
      const response = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
      lastError = `HTTP ${response.status}`;
    } catch (error) {
      lastError = error.cause?.code ?? error.message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`/healthz did not answer 200 within ${timeoutMs} ms (last: ${lastError})`);
}

// Everything that should never happen while a page loads.
function watchPage(page) {
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push({ kind: 'console error', text: message.text(), url: message.location().url });
  });
  page.on('pageerror', (error) => problems.push({ kind: 'page error', text: error.message }));
  page.on('requestfailed', (request) =>
    problems.push({ kind: 'failed request', text: `${request.url()} (${request.failure()?.errorText})`, url: request.url() }));
  page.on('response', (response) => {
    if (response.status() >= 400) {
      problems.push({ kind: 'HTTP error', text: `${response.status()} ${response.url()}`, url: response.url() });
    }
  });
  return problems;
}

async function cspViolations(page) {
  return page.evaluate(() => window.__cspViolations ?? []);
}

function describe(problems) {
  return problems.map((p) => `${p.kind}: ${p.text}`).join('\n');
}

async function checkHeader(page) {
  const logo = page.locator('header a[href="/"]').first();
  assert.equal(await logo.count(), 1, 'the header has a link home');
  assert.ok(await logo.isVisible(), 'the home link is visible');
  assert.equal(await logo.locator('img').count(), 1, 'the home link shows the logo');

  const search = page.getByRole('searchbox', { name: 'Search videos' });
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
  const binary = process.env.MONOTUBE_BIN;
  if (!binary) throw new Error('set MONOTUBE_BIN to the monotube binary (e.g. build/monotube)');
  const staticDir = path.resolve(process.env.MONOTUBE_STATIC_DIR ?? path.join(repoRoot, 'static'));
  await mkdir(resultsDir, { recursive: true });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'monotube-e2e-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;

  const server = startServer(binary, {
    MONOTUBE_LISTEN: `127.0.0.1:${port}`,
    MONOTUBE_DATA_DIR: dataDir,
    MONOTUBE_STATIC_DIR: staticDir,
  });
  let browser;
  try {
    await check('the server starts and answers /healthz', () => waitForHealthy(baseUrl, server, 30_000));
    if (failed > 0) return;

    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run'],
    });

    for (const viewport of viewports) {
      const context = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
      // Runs before the page's own scripts; injected by the browser, so the CSP does not apply to it.
      await context.addInitScript(() => {
        window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation', (event) => {
          window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline code'}`);
        });
      });
      const page = await context.newPage();
      const problems = watchPage(page);

      await check(`home page at ${viewport.width}px renders cleanly`, async () => {
        const response = await page.goto(`${baseUrl}/`, { waitUntil: 'networkidle' });
        assert.equal(response.status(), 200);
        assert.match(response.headers()['content-security-policy'] ?? '', /script-src 'self'/,
          'the page is served with the strict CSP');
        assert.ok((await page.title()).trim().length > 0, 'the page has a title');
        await checkHeader(page);
        // The page module ran: the shell's <main> holds the home page.
        assert.match(await page.getByRole('heading', { level: 1 }).innerText(), /Latest videos/);
        assert.equal(await page.locator('body').getAttribute('data-page'), 'home');
        assert.equal(await page.locator('main').getAttribute('aria-busy'), null, 'the page finished rendering');
        await page.screenshot({ path: path.join(resultsDir, `home-${viewport.name}.png`), fullPage: true });
        assert.deepEqual(await cspViolations(page), [], 'no CSP violations');
        assert.equal(problems.length, 0, `problems while loading:\n${describe(problems)}`);
      });

      if (viewport.name === 'desktop') {
        await check('"/" moves the focus to the search box', async () => {
          await page.locator('main').click({ position: { x: 5, y: 5 } });
          await page.keyboard.press('/');
          assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'query');
        });
      }

      await check(`an unknown page at ${viewport.width}px shows the 404 page`, async () => {
        problems.length = 0;
        const url = `${baseUrl}/no-such-page`;
        const response = await page.goto(url, { waitUntil: 'networkidle' });
        assert.equal(response.status(), 404);
        assert.match(response.headers()['content-type'] ?? '', /^text\/html/);
        assert.match(await page.title(), /not found/i);
        assert.match(await page.getByRole('heading', { level: 1 }).innerText(), /isn.t here/);
        await checkHeader(page);
        await page.screenshot({ path: path.join(resultsDir, `not-found-${viewport.name}.png`), fullPage: true });
        assert.deepEqual(await cspViolations(page), [], 'no CSP violations');
        // The 404 of the page itself is expected; nothing else may go wrong.
        const unexpected = problems.filter((p) => p.url !== url);
        assert.equal(unexpected.length, 0, `problems while loading:\n${describe(unexpected)}`);
      });
      await context.close();
    }
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (server.child.exitCode === null && server.child.signalCode === null) {
      await check('SIGTERM stops the server with exit code 0', async () => {
        server.child.kill('SIGTERM');
        const timeout = new Promise((resolve) => setTimeout(() => resolve(null), 20_000));
        const result = await Promise.race([server.exited, timeout]);
        if (!result) {
          server.child.kill('SIGKILL');
          throw new Error('the server did not stop within 20 s of SIGTERM');
        }
        assert.deepEqual(result, { code: 0, signal: null });
      });
    } else {
      failed += 1;
      const { exitCode, signalCode } = server.child;
      console.log(`FAILED - the server stopped on its own before the end (exit code ${exitCode}, signal ${signalCode})`);
    }
    if (failed > 0) console.log(`--- server output (last lines) ---\n${server.output.join('\n')}`);
    await rm(dataDir, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (error) {
  failed += 1;
  console.log(`FAILED - ${error.message}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
