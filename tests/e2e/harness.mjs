// Shared pieces of the browser tests: TAP-like checks, the real server process, and a
// watch on everything that must not happen while pages load (console errors, failed
// requests, 4xx/5xx answers, CSP violations). Answers a test provokes on purpose are
// allowed one by one with allow(), never wholesale.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');
export const resultsDir = path.join(repoRoot, 'test-results');
export const viewports = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 375, height: 740 },
];

export const results = { passed: 0, failed: 0 };

// Runs a test script's main(), counts an error escaping it as a failure, prints the
// totals and exits 1 when anything failed.
export async function runTest(main) {
  try {
    await main();
  } catch (error) {
    results.failed += 1;
    console.log(`FAILED - ${error.message}`);
  }
  console.log(`${results.passed} passed, ${results.failed} failed`);
  process.exit(results.failed > 0 ? 1 : 0);
}

export async function check(name, fn) {
  try {
    await fn();
    results.passed += 1;
    console.log(`ok - ${name}`);
    return true;
  } catch (error) {
    results.failed += 1;
    console.log(`FAILED - ${name}\n  ${String(error?.stack ?? error).replace(/\n/g, '\n  ')}`);
    return false;
  }
}

export function freePort() {
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

// A child process with its output kept (the last `keep` lines) for failure reports.
export function startProcess(command, args, { env, keep = 200 } = {}) {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = [];
  const listeners = new Set();
  const collect = (chunk) => {
    const text = chunk.toString();
    // E2E_SERVER_LOG=FILE keeps every line (e.g. to follow a flaky step).
    if (process.env.E2E_SERVER_LOG) appendFileSync(process.env.E2E_SERVER_LOG, text);
    output.push(...text.split('\n').filter(Boolean));
    if (output.length > keep) output.splice(0, output.length - keep);
    for (const listener of listeners) listener(text);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, output, exited, onOutput: (listener) => listeners.add(listener) };
}

// The monotube server, with MONOTUBE_* settings from `env`.
export function startServer(binary, env) {
  // The server warns about MONOTUBE_* variables it does not know, so the test's own stay here.
  const { MONOTUBE_BIN, MONOTUBE_CHROMIUM, MONOTUBE_PYTHON, ...inherited } = process.env;
  return startProcess(binary, ['serve'], { env: { ...inherited, ...env } });
}

export async function waitForHealthy(baseUrl, server, timeoutMs) {
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

// Resolves once something accepts TCP connections on host:port.
export async function waitForPort(port, process, timeoutMs, host = '127.0.0.1') {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (process.child.exitCode !== null) throw new Error(`the process exited early with code ${process.child.exitCode}`);
    const open = await new Promise((resolve) => {
      const socket = net.connect({ host, port }, () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing listened on ${host}:${port} within ${timeoutMs} ms`);
}

export async function stopServer(server) {
  if (server.child.exitCode !== null || server.child.signalCode !== null) {
    results.failed += 1;
    const { exitCode, signalCode } = server.child;
    console.log(`FAILED - the server stopped on its own before the end (exit code ${exitCode}, signal ${signalCode})`);
    return;
  }
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
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.MONOTUBE_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

// A browser context that records CSP violations (read them with cspViolations(page)).
export async function newContext(browser, options) {
  const context = await browser.newContext(options);
  // Runs before the page's own scripts; injected by the browser, so the CSP does not apply to it.
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline code'}`);
    });
  });
  return context;
}

export async function cspViolations(page) {
  return page.evaluate(() => window.__cspViolations ?? []);
}

// Everything that should never happen while a page is used. Returns a watch:
//   watch.allow(status, method, path)  expect one such answer (e.g. 401 POST /api/auth/login);
//   watch.unexpected()                 what went wrong that nobody allowed;
//   watch.reset()                      forget everything seen and allowed so far.
// Chromium also logs "Failed to load resource: … status of 401" for such an answer; that
// console line goes with the allowed answer.
export function watchPage(page) {
  let problems = [];
  let allowed = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push({ kind: 'console error', text: message.text(), url: message.location().url });
  });
  page.on('pageerror', (error) => problems.push({ kind: 'page error', text: error.message }));
  page.on('requestfailed', (request) => {
    // Leaving a page cancels what it was still loading (its favicon, a download handed to
    // the browser): not a failure. Cancelled API calls (fetch) still count.
    const reason = request.failure()?.errorText ?? '';
    if (reason === 'net::ERR_ABORTED' && !['fetch', 'xhr'].includes(request.resourceType())) return;
    problems.push({ kind: 'failed request', text: `${request.method()} ${request.url()} (${reason})`, url: request.url() });
  });
  page.on('response', (response) => {
    if (response.status() >= 400) {
      const request = response.request();
      problems.push({
        kind: 'HTTP error', text: `${response.status()} ${request.method()} ${response.url()}`,
        url: response.url(), status: response.status(), method: request.method(),
      });
    }
  });
  return {
    allow(status, method, pathname) {
      allowed.push({ status, method, pathname });
    },
    unexpected() {
      const remaining = allowed.map((a) => ({ ...a, used: false }));
      const allowedUrls = new Map();
      const left = [];
      for (const problem of problems) {
        if (problem.kind === 'HTTP error') {
          const { pathname } = new URL(problem.url);
          const match = remaining.find((a) => !a.used && a.status === problem.status && a.method === problem.method &&
            a.pathname === pathname);
          if (match) {
            match.used = true;
            allowedUrls.set(problem.url, problem.status);
            continue;
          }
        }
        left.push(problem);
      }
      return left.filter((p) => !(p.kind === 'console error' && allowedUrls.has(p.url) &&
        p.text.includes(`status of ${allowedUrls.get(p.url)}`)));
    },
    reset() {
      problems = [];
      allowed = [];
    },
  };
}

export function describe(problems) {
  return problems.map((p) => `${p.kind}: ${p.text}`).join('\n');
}

// Fails with the list when something nobody allowed went wrong; then starts afresh.
export async function assertClean(page, watch) {
  assert.deepEqual(await cspViolations(page), [], 'no CSP violations');
  const unexpected = watch.unexpected();
  assert.equal(unexpected.length, 0, `problems while using the page:\n${describe(unexpected)}`);
  watch.reset();
}
