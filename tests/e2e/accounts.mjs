// Browser walk through accounts, against the real server and a real SMTP server:
// sign up (with a wrong form first) → log out → log in → edit the profile and see it on
// the channel page → log out → forgot password → the reset mail → new password → old
// password refused, new one works → download my data → delete the account → log-in
// refused. The same pages are then visited at phone width. Fails on console errors, CSP
// violations and failed requests; the error answers the walk provokes are allowed one
// by one.
//
//   MONOTUBE_BIN=build/monotube [MONOTUBE_STATIC_DIR=static] node tests/e2e/accounts.mjs
//
// Needs python3 with aiosmtpd (Debian: python3-aiosmtpd; MONOTUBE_PYTHON picks the
// interpreter). Screenshots go to test-results/accounts-<page>-<viewport>.png.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

import {
  assertClean, check, freePort, launchBrowser, newContext, repoRoot, results, resultsDir, runTest, startProcess,
  startServer, stopServer, viewports, waitForHealthy, waitForPort, watchPage,
} from './harness.mjs';

const [desktop, phone] = viewports;
const walker = {
  username: 'e2e_walker',
  email: 'walker@example.com',
  password: 'tall ladder 42 orange',
  newPassword: 'quiet river 7 lantern',
  displayName: 'Walker Tester',
  bio: 'Line one <b>not bold</b>\nLine two',
};

// ---------- mail, as the SMTP server's debugging handler prints it ----------

function parseHeaders(text) {
  const headers = {};
  for (const line of text.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

export function decodeQuotedPrintable(text) {
  const bytes = [];
  const joined = text.replace(/=\r?\n/g, '');
  for (let i = 0; i < joined.length; i += 1) {
    const hex = joined[i] === '=' ? /^[0-9A-Fa-f]{2}$/.exec(joined.slice(i + 1, i + 3)) : null;
    if (hex) {
      bytes.push(Number.parseInt(hex[0], 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(joined[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

// The readable text of a MIME entity: every text part, transfer encoding undone.
function mimeText(entity) {
  const split = entity.search(/\r?\n\r?\n/);
  const headers = parseHeaders(split < 0 ? entity : entity.slice(0, split));
  const body = split < 0 ? '' : entity.slice(split).replace(/^\r?\n\r?\n/, '');
  const type = headers['content-type'] ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (/^multipart\//i.test(type) && boundary) {
    return body.split(`--${boundary}`).slice(1).filter((part) => !part.startsWith('--')).map(mimeText).join('\n');
  }
  const encoding = (headers['content-transfer-encoding'] ?? '').toLowerCase();
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
}

function receivedMails(output) {
  const mails = [];
  const pattern = /-{10} MESSAGE FOLLOWS -{10}\r?\n([\s\S]*?)\r?\n-{12} END MESSAGE -{12}/g;
  for (const [, message] of output.matchAll(pattern)) {
    const split = message.search(/\r?\n\r?\n/);
    mails.push({ headers: parseHeaders(message.slice(0, split)), text: mimeText(message) });
  }
  return mails;
}

async function waitForMail(smtp, to, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const mail = receivedMails(smtp.text()).find((m) => (m.headers.to ?? '').includes(to));
    if (mail) return mail;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no mail to ${to} reached the SMTP server within ${timeoutMs} ms`);
}

function startSmtpServer(port) {
  const python = process.env.MONOTUBE_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
  // -u: unbuffered, so each message shows up as soon as it is received.
  const smtp = startProcess(python, ['-u', '-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`], {
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  let all = '';
  smtp.onOutput((text) => {
    all += text;
  });
  return { ...smtp, text: () => all };
}

// A small solid-colour PNG, made here so the test needs no image files.
function pngImage(width, height, [r, g, b]) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes) => {
    let c = 0xffffffff;
    for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([length, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => [r, g, b]).flat())]);
  const pixels = zlib.deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header), chunk('IDAT', pixels), chunk('IEND', Buffer.alloc(0))]);
}

// ---------- page helpers ----------

async function shot(page, name, viewport) {
  // From the top, so the sticky header is not drawn in the middle of a full-page shot.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(resultsDir, `accounts-${name}-${viewport.name}.png`), fullPage: true });
}

// The field's error is announced with it (aria-describedby) and shown right under it.
async function assertFieldError(page, input, pattern) {
  // The answer may still be on its way: wait (with a deadline) for the field to be marked.
  const deadline = Date.now() + 5000;
  while (await input.getAttribute('aria-invalid') !== 'true' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(await input.getAttribute('aria-invalid'), 'true', 'the field is marked invalid');
  const describedBy = (await input.getAttribute('aria-describedby')) ?? '';
  const errors = page.locator(describedBy.split(/\s+/).filter(Boolean).map((id) => `[id="${id}"].field__error`).join(', '));
  assert.equal(await errors.count(), 1, 'aria-describedby points at the error message');
  assert.ok(await errors.isVisible(), 'the error message is visible');
  assert.match(await errors.innerText(), pattern);
  const field = input.locator('xpath=ancestor::div[contains(concat(" ", normalize-space(@class), " "), " field ")][1]');
  assert.equal(await field.locator('.field__error:visible').count(), 1, 'the error is inside the field');
  const inputBox = await input.boundingBox();
  const errorBox = await errors.boundingBox();
  assert.ok(errorBox.y >= inputBox.y + inputBox.height && errorBox.y - (inputBox.y + inputBox.height) < 80,
    'the error sits just under its field');
}

async function openAccountMenu(page, name) {
  const button = page.getByRole('button', { name: `Account menu for ${name}`, exact: true });
  await button.click();
  const menu = page.getByRole('menu');
  await menu.waitFor({ state: 'visible' });
  return { button, menu };
}

async function logOutWithMenu(page, baseUrl, watch, name) {
  const { menu } = await openAccountMenu(page, name);
  // The page may already be the home page, so wait for the navigation itself.
  await Promise.all([page.waitForEvent('framenavigated'), menu.getByRole('menuitem', { name: 'Log out' }).click()]);
  await page.waitForURL(`${baseUrl}/`);
  await page.getByRole('link', { name: 'Sign in', exact: true }).waitFor();
  assert.match(await page.getByRole('status').first().innerText(), /logged out/);
  await page.waitForLoadState('networkidle');
}

async function logIn(page, login, password) {
  await page.getByLabel('Username or e-mail').fill(login);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

async function signUp(page, { username, email, password }) {
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
}

// ---------- the walk at desktop width ----------

async function desktopWalk({ browser, baseUrl, smtp, server }) {
  const context = await newContext(browser, { viewport: desktop, acceptDownloads: true });
  const page = await context.newPage();
  const watch = watchPage(page);
  const step = async (name, fn) => check(name, async () => {
    await fn();
    await assertClean(page, watch);
  });
  let userId = null;

  try {
    if (!await step('sign-up with a too short password shows the error next to the field', async () => {
      await page.goto(`${baseUrl}/`, { waitUntil: 'networkidle' });
      await Promise.all([page.waitForURL(`${baseUrl}/login`), page.getByRole('link', { name: 'Sign in', exact: true }).click()]);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await shot(page, 'login', desktop);
      await Promise.all([page.waitForURL(`${baseUrl}/signup`), page.getByRole('link', { name: 'Create an account' }).click()]);
      await page.waitForLoadState('networkidle');
      for (const [label, autocomplete] of [['Username', 'username'], ['E-mail', 'email'], ['Password', 'new-password']]) {
        assert.equal(await page.getByLabel(label, { exact: true }).getAttribute('autocomplete'), autocomplete);
      }
      await shot(page, 'signup', desktop);
      watch.allow(400, 'POST', '/api/auth/signup');
      await signUp(page, { ...walker, password: 'short' });
      const password = page.getByLabel('Password', { exact: true });
      await page.locator('.field__error:visible').first().waitFor();
      await assertFieldError(page, password, /at least 10 characters/);
      assert.equal(await page.getByLabel('Username', { exact: true }).getAttribute('aria-invalid'), null,
        'fields without errors are not marked');
      assert.equal(await page.getByRole('button', { name: 'Create account' }).isEnabled(), true);
      await shot(page, 'signup-error', desktop);
    })) return;

    if (!await step('sign-up signs in and the header names the user in the account menu', async () => {
      await page.getByLabel('Password', { exact: true }).fill(walker.password);
      await Promise.all([page.waitForURL(`${baseUrl}/`), page.getByRole('button', { name: 'Create account' }).click()]);
      assert.match(await page.getByRole('status').first().innerText(), /Welcome to monotube, e2e_walker/);
      assert.equal(await page.getByRole('link', { name: 'Sign in', exact: true }).count(), 0, 'no Sign in link');
      const { button, menu } = await openAccountMenu(page, walker.username);
      assert.equal(await button.getAttribute('aria-expanded'), 'true');
      const panel = page.locator('#account-menu');
      assert.match(await panel.innerText(), /e2e_walker[\s\S]*@e2e_walker/);
      const items = await menu.getByRole('menuitem').allInnerTexts();
      // Sign-up makes creators (the default signup_role), who can upload.
      assert.deepEqual(items.map((t) => t.trim()), ['Your channel', 'Upload', 'My videos', 'Studio', 'Subscriptions', 'Settings', 'Log out']);
      userId = (await menu.getByRole('menuitem', { name: 'Your channel' }).getAttribute('href')).split('/').pop();
      await shot(page, 'menu', desktop);
      // Keyboard: arrows move, End jumps, Escape closes and gives the focus back.
      const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim());
      assert.equal(await focused(), 'Your channel');
      await page.keyboard.press('ArrowDown');
      assert.equal(await focused(), 'Upload');
      await page.keyboard.press('End');
      assert.equal(await focused(), 'Log out');
      await page.keyboard.press('ArrowDown');
      assert.equal(await focused(), 'Your channel', 'the focus wraps around');
      await page.keyboard.press('Escape');
      assert.ok(await menu.isHidden(), 'Escape closes the menu');
      assert.equal(await button.getAttribute('aria-expanded'), 'false');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'account-button');
      await page.keyboard.press('ArrowDown');
      assert.ok(await menu.isVisible(), 'ArrowDown on the button opens the menu');
      await page.keyboard.press('Escape');
    })) return;

    if (!await step('log out, then log in (back to the page that asked for it)', async () => {
      await logOutWithMenu(page, baseUrl, watch, walker.username);
      await page.goto(`${baseUrl}/settings`);
      await page.waitForURL(`${baseUrl}/login?next=%2Fsettings`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await page.waitForLoadState('networkidle');
      await Promise.all([page.waitForURL(`${baseUrl}/settings`), logIn(page, walker.email, walker.password)]);
      await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
      await page.locator('#sessions').getByText('This device').waitFor();
      await page.waitForLoadState('networkidle');
      await shot(page, 'settings', desktop);
    })) return;

    if (!await step('username and e-mail changes ask for the current password', async () => {
      const profile = page.locator('#profile');
      const current = profile.getByLabel('Current password');
      assert.ok(await current.isHidden(), 'not asked while nothing needs it');
      await profile.getByLabel('E-mail').fill('someone-else@example.com');
      assert.ok(await current.isVisible(), 'asked once the e-mail changes');
      watch.allow(400, 'PATCH', '/api/me');
      await profile.getByRole('button', { name: 'Save profile' }).click();
      await profile.locator('.field__error:visible').waitFor();
      await assertFieldError(page, current, /current password/i);
      await profile.getByLabel('E-mail').fill(walker.email);
      assert.ok(await current.isHidden());
    })) return;

    if (!await step('a picture can be uploaded (it shows in the header) and removed', async () => {
      const section = page.locator('#avatar');
      const upload = section.getByRole('button', { name: 'Upload picture' });
      await upload.click();
      await assertFieldError(page, section.getByLabel('Choose a picture'), /Choose a picture first/);
      await section.getByLabel('Choose a picture').setInputFiles({
        name: 'me.png', mimeType: 'image/png', buffer: pngImage(96, 96, [37, 99, 235]),
      });
      assert.equal(await section.getByRole('img', { name: 'Preview of the chosen picture' }).getAttribute('src')
        .then((src) => src.startsWith('blob:')), true, 'the chosen file is previewed');
      await upload.click();
      await section.getByRole('status').filter({ hasText: 'Your new picture is saved.' }).waitFor();
      const headerPicture = page.locator('#account-button img');
      await headerPicture.waitFor();
      assert.match(await headerPicture.getAttribute('src'), /^\/media\//);
      await page.waitForFunction(() => document.querySelector('#account-button img')?.naturalWidth > 0);
      await page.waitForLoadState('networkidle');
      await shot(page, 'settings-avatar', desktop);
      await section.getByRole('button', { name: 'Remove picture' }).click();
      await section.getByRole('status').filter({ hasText: 'Your picture was removed.' }).waitFor();
      assert.equal(await page.locator('#account-button img').count(), 0, 'the header shows the initial again');
    })) return;

    if (!await step('the profile (display name and bio) is saved and shown on the channel page', async () => {
      const profile = page.locator('#profile');
      await profile.getByLabel('Display name').fill(walker.displayName);
      await profile.getByLabel('Bio').fill(walker.bio);
      await profile.getByRole('button', { name: 'Save profile' }).click();
      await profile.getByRole('status').filter({ hasText: 'Profile saved.' }).waitFor();
      // The header follows at once.
      const { menu } = await openAccountMenu(page, walker.displayName);
      assert.match(await page.locator('#account-menu').innerText(), /Walker Tester[\s\S]*@e2e_walker/);
      await Promise.all([page.waitForURL(`${baseUrl}/channel/${userId}`),
        menu.getByRole('menuitem', { name: 'Your channel' }).click()]);
      await page.getByRole('heading', { level: 1, name: walker.displayName }).waitFor();
      const header = page.locator('.channel-header');
      const text = await header.innerText();
      assert.match(text, /@e2e_walker/);
      assert.match(text, /0 subscribers/);
      assert.match(text, /Joined /);
      const bio = page.locator('.channel-header__bio');
      assert.equal(await bio.innerText(), walker.bio, 'the bio keeps its line break and shows markup as text');
      assert.equal(await bio.locator('b').count(), 0, 'no markup from the bio');
      assert.equal(await page.title(), 'Walker Tester · monotube');
      assert.ok(await page.getByRole('heading', { name: 'Videos', exact: true }).isVisible());
      await page.getByRole('heading', { name: 'No videos yet' }).waitFor();
      await page.waitForLoadState('networkidle');
      await shot(page, 'channel', desktop);
    })) return;

    if (!await step('another device can be signed out, and the password changed', async () => {
      // A second session, from outside the browser.
      const response = await fetch(`${baseUrl}/api/auth/login`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', 'User-Agent': 'curl/8.0' },
        body: JSON.stringify({ login: walker.username, password: walker.password }),
      });
      assert.equal(response.status, 200);
      await page.goto(`${baseUrl}/settings`, { waitUntil: 'networkidle' });
      const sessions = page.locator('#sessions');
      assert.equal(await sessions.getByRole('listitem').count(), 2);
      assert.match(await sessions.getByRole('listitem').first().innerText(), /This device/);
      await sessions.getByRole('button', { name: /^Revoke the session of curl/ }).click();
      await sessions.getByRole('status').filter({ hasText: 'Signed out curl.' }).waitFor();
      assert.equal(await sessions.getByRole('listitem').count(), 1);

      const password = page.locator('#password');
      const changed = 'middle step 55 password';
      await password.getByLabel('Current password').fill(walker.password);
      await password.getByLabel('New password').fill(changed);
      await password.getByRole('button', { name: 'Change password' }).click();
      await password.getByRole('status').filter({ hasText: /^Password changed/ }).waitFor();
      walker.password = changed;
    })) return;

    if (!await step('forgot password sends a real mail with a reset link', async () => {
      await logOutWithMenu(page, baseUrl, watch, walker.displayName);
      await page.goto(`${baseUrl}/login`, { waitUntil: 'networkidle' });
      await Promise.all([page.waitForURL(`${baseUrl}/forgot-password`), page.getByRole('link', { name: 'Forgot password?' }).click()]);
      await page.waitForLoadState('networkidle');
      await shot(page, 'forgot-password', desktop);
      await page.getByLabel('E-mail').fill(walker.email);
      await page.getByRole('button', { name: 'Send reset link' }).click();
      await page.getByRole('status').filter({ hasText: 'If an account uses that address, a reset link is on its way.' }).waitFor();
    })) return;

    let link = null;
    if (!await check('the reset mail reaches the SMTP server', async () => {
      const mail = await waitForMail(smtp, walker.email, 15_000);
      const match = /https?:\/\/\S+?\/reset-password#token=[A-Za-z0-9_-]+/.exec(mail.text);
      assert.ok(match, `the mail has a reset link:\n${mail.text}`);
      link = match[0];
      assert.ok(link.startsWith(`${baseUrl}/reset-password#token=`), `the link uses the public URL: ${link}`);
    })) return;

    if (!await step('the reset link sets a new password', async () => {
      await page.goto(link, { waitUntil: 'networkidle' });
      assert.equal(page.url(), `${baseUrl}/reset-password`, 'the token is taken out of the address bar');
      const first = page.getByLabel('New password', { exact: true });
      const again = page.getByLabel('New password again');
      assert.equal(await first.getAttribute('autocomplete'), 'new-password');
      await shot(page, 'reset-password', desktop);
      await first.fill(walker.newPassword);
      await again.fill(`${walker.newPassword}x`);
      await page.getByRole('button', { name: 'Set new password' }).click();
      await assertFieldError(page, again, /not the same/);
      await again.fill(walker.newPassword);
      await page.getByRole('button', { name: 'Set new password' }).click();
      await page.getByRole('heading', { name: 'Your password has been changed' }).waitFor();
      await shot(page, 'reset-password-done', desktop);
      await Promise.all([page.waitForURL(`${baseUrl}/login`), page.getByRole('link', { name: 'Sign in', exact: true }).last().click()]);
      await page.waitForLoadState('networkidle');
    })) return;

    if (!await step('the old password is refused, the new one works', async () => {
      watch.allow(401, 'POST', '/api/auth/login');
      await logIn(page, walker.username, walker.password);
      const alert = page.locator('main').getByRole('alert');
      await alert.filter({ hasText: /do not match/ }).waitFor();
      assert.ok(await page.getByRole('button', { name: 'Sign in', exact: true }).isEnabled());
      await shot(page, 'login-error', desktop);
      await Promise.all([page.waitForURL(`${baseUrl}/`), logIn(page, walker.username, walker.newPassword)]);
      await page.getByRole('button', { name: `Account menu for ${walker.displayName}` }).waitFor();
    })) return;

    if (!await step('"Download my data" saves a JSON file with the username and e-mail', async () => {
      await page.goto(`${baseUrl}/settings`, { waitUntil: 'networkidle' });
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Download my data' }).click(),
      ]);
      assert.match(download.suggestedFilename(), /\.json$/);
      const data = JSON.parse(await readFile(await download.path(), 'utf8'));
      const text = JSON.stringify(data);
      assert.ok(text.includes(`"${walker.username}"`), 'the export has the username');
      assert.ok(text.includes(`"${walker.email}"`), 'the export has the e-mail');
    })) return;

    if (!await step('deleting the account asks for a confirmation, then leaves the visitor logged out at home', async () => {
      const section = page.locator('#delete');
      await section.getByLabel('Password', { exact: true }).fill(walker.newPassword);
      await section.getByRole('button', { name: 'Delete my account' }).click();
      await assertFieldError(page, section.getByRole('checkbox'), /confirm/);
      await section.getByRole('checkbox').check();
      await Promise.all([page.waitForURL(`${baseUrl}/`), section.getByRole('button', { name: 'Delete my account' }).click()]);
      await page.getByRole('link', { name: 'Sign in', exact: true }).waitFor();
      assert.match(await page.getByRole('status').first().innerText(), /account has been deleted/);
    })) return;

    await step('log-in with the deleted account fails and says so', async () => {
      await page.goto(`${baseUrl}/login`, { waitUntil: 'networkidle' });
      watch.allow(401, 'POST', '/api/auth/login');
      await logIn(page, walker.username, walker.newPassword);
      await page.locator('main').getByRole('alert').filter({ hasText: /do not match/ }).waitFor();
      assert.equal(page.url(), `${baseUrl}/login`);
    });

    await step('an unknown channel gets a friendly not-found message', async () => {
      watch.allow(404, 'GET', `/api/users/${userId}`);
      await page.goto(`${baseUrl}/channel/${userId}`, { waitUntil: 'networkidle' });
      await page.getByRole('heading', { level: 1, name: 'This channel doesn’t exist' }).waitFor();
      await shot(page, 'channel-not-found', desktop);
    });
  } finally {
    await context.close();
  }
}

// ---------- the same pages at phone width ----------

async function phonePass({ browser, baseUrl }) {
  const context = await newContext(browser, { viewport: phone, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const watch = watchPage(page);
  const step = async (name, fn) => check(name, async () => {
    await fn();
    await assertClean(page, watch);
  });
  const user = { username: 'phone_walker', email: 'phone@example.com', password: 'green kettle 9 mountain' };
  try {
    if (!await step('at phone width: sign up, account menu, settings and channel', async () => {
      await page.goto(`${baseUrl}/signup`, { waitUntil: 'networkidle' });
      await shot(page, 'signup', phone);
      watch.allow(400, 'POST', '/api/auth/signup');
      await signUp(page, { ...user, password: 'short' });
      await assertFieldError(page, page.getByLabel('Password', { exact: true }), /at least 10 characters/);
      await shot(page, 'signup-error', phone);
      await page.getByLabel('Password', { exact: true }).fill(user.password);
      await Promise.all([page.waitForURL(`${baseUrl}/`), page.getByRole('button', { name: 'Create account' }).click()]);
      const { menu } = await openAccountMenu(page, user.username);
      const box = await page.locator('#account-menu').boundingBox();
      assert.ok(box.x >= 0 && box.x + box.width <= phone.width, 'the menu fits on the screen');
      await shot(page, 'menu', phone);
      await Promise.all([page.waitForURL(`${baseUrl}/settings`), menu.getByRole('menuitem', { name: 'Settings' }).click()]);
      await page.locator('#sessions').getByText('This device').waitFor();
      await page.waitForLoadState('networkidle');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `settings fit the width (overflow ${overflow}px)`);
      await shot(page, 'settings', phone);
      await page.emulateMedia({ colorScheme: 'dark' });
      await shot(page, 'settings-dark', phone);
      await page.emulateMedia({ colorScheme: 'light' });
      await page.getByRole('link', { name: 'View your channel' }).click();
      await page.getByRole('heading', { level: 1, name: user.username }).waitFor();
      await page.waitForLoadState('networkidle');
      await shot(page, 'channel', phone);
      await logOutWithMenu(page, baseUrl, watch, user.username);
    })) return;

    await step('at phone width: sign-in, forgot and reset pages; a bad reset link says so', async () => {
      await page.goto(`${baseUrl}/login`, { waitUntil: 'networkidle' });
      await shot(page, 'login', phone);
      watch.allow(401, 'POST', '/api/auth/login');
      await logIn(page, user.username, 'not the password at all');
      await page.locator('main').getByRole('alert').filter({ hasText: /do not match/ }).waitFor();
      await shot(page, 'login-error', phone);
      await page.goto(`${baseUrl}/forgot-password`, { waitUntil: 'networkidle' });
      await shot(page, 'forgot-password', phone);
      await page.goto(`${baseUrl}/reset-password#token=not-a-real-token`, { waitUntil: 'networkidle' });
      assert.equal(page.url(), `${baseUrl}/reset-password`);
      await shot(page, 'reset-password', phone);
      await page.getByLabel('New password', { exact: true }).fill(user.password);
      await page.getByLabel('New password again').fill(user.password);
      watch.allow(400, 'POST', '/api/auth/reset-password/confirm');
      await page.getByRole('button', { name: 'Set new password' }).click();
      const alert = page.locator('main').getByRole('alert');
      await alert.filter({ hasText: /not valid/ }).waitFor();
      assert.equal(await alert.getByRole('link', { name: 'Ask for a new link' }).getAttribute('href'), '/forgot-password');
      await shot(page, 'reset-password-invalid', phone);
      await page.emulateMedia({ colorScheme: 'dark' });
      await shot(page, 'reset-password-invalid-dark', phone);
    });
  } finally {
    await context.close();
  }
}

async function main() {
  const binary = process.env.MONOTUBE_BIN;
  if (!binary) throw new Error('set MONOTUBE_BIN to the monotube binary (e.g. build/monotube)');
  const staticDir = path.resolve(process.env.MONOTUBE_STATIC_DIR ?? path.join(repoRoot, 'static'));
  await mkdir(resultsDir, { recursive: true });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'monotube-e2e-accounts-'));
  const [port, smtpPort] = [await freePort(), await freePort()];
  const baseUrl = `http://127.0.0.1:${port}`;

  const smtp = startSmtpServer(smtpPort);
  const server = startServer(binary, {
    MONOTUBE_LISTEN: `127.0.0.1:${port}`,
    MONOTUBE_DATA_DIR: dataDir,
    MONOTUBE_STATIC_DIR: staticDir,
    MONOTUBE_PUBLIC_URL: baseUrl,
    MONOTUBE_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
  });
  let browser;
  try {
    if (!await check('the SMTP server (aiosmtpd) starts', () => waitForPort(smtpPort, smtp, 15_000))) return;
    if (!await check('the server starts and answers /healthz', () => waitForHealthy(baseUrl, server, 30_000))) return;
    browser = await launchBrowser();
    await desktopWalk({ browser, baseUrl, smtp, server });
    await phonePass({ browser, baseUrl });
  } finally {
    if (browser) await browser.close().catch(() => {});
    await stopServer(server);
    smtp.child.kill('SIGTERM');
    if (results.failed > 0) {
      console.log(`--- server output (last lines) ---\n${server.output.join('\n')}`);
      console.log(`--- SMTP server output (last lines) ---\n${smtp.output.slice(-40).join('\n')}`);
    }
    await rm(dataDir, { recursive: true, force: true });
  }
}

await runTest(main);
