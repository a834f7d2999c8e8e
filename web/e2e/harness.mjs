// Shared helpers for the browser tests: Debian's Chromium through playwright-core, console-error capture,
// and small bounded waits. Every wait has a timeout, so a test always ends.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const BASE_URL = (process.env.ROOMS_E2E_BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
export const CHROMIUM = process.env.ROOMS_E2E_CHROMIUM || '/usr/bin/chromium';
export const STEP_TIMEOUT = Number(process.env.ROOMS_E2E_STEP_TIMEOUT_MS || 10_000);
export const PASSWORD = 'correct horse battery';

export const CA_FILE = process.env.ROOMS_E2E_CA_FILE || '';

/**
 * With ROOMS_E2E_CA_FILE (an https BASE_URL whose certificate a private CA issued), a HOME of its own whose NSS
 * database trusts that CA and nothing else added: Chromium on Linux verifies server certificates against it, so the
 * tests run over https/wss with the certificate really verified (no --ignore-certificate-errors).
 */
function browserEnv() {
  if (!CA_FILE) return process.env;
  const home = mkdtempSync(join(tmpdir(), 'rooms-e2e-home-'));
  const db = `sql:${join(home, '.pki', 'nssdb')}`;
  execFileSync('mkdir', ['-p', join(home, '.pki', 'nssdb')]);
  execFileSync('certutil', ['-d', db, '-N', '--empty-password']);
  execFileSync('certutil', ['-d', db, '-A', '-n', 'rooms-e2e-ca', '-t', 'C,,', '-i', CA_FILE]);
  return { ...process.env, HOME: home };
}

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    env: browserEnv(),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/** A unique nickname (3..50 chars) so runs against a long-lived server do not collide. */
export function uniqueName(prefix) {
  const rnd = Math.random().toString(36).slice(2, 8);
  return `${prefix}_${Date.now().toString(36)}${rnd}`.slice(0, 40);
}

/**
 * A browser context whose pages record console errors and uncaught exceptions. `allow(msg)` may excuse an
 * expected one (e.g. the 401 of a deliberately wrong password).
 */
export async function newContext(browser, opts = {}) {
  const context = await browser.newContext({
    baseURL: BASE_URL,
    viewport: opts.viewport ?? { width: 1280, height: 800 },
    deviceScaleFactor: opts.deviceScaleFactor ?? 1,
    isMobile: opts.isMobile ?? false,
    hasTouch: opts.hasTouch ?? false,
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(STEP_TIMEOUT);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT * 2);
  const errors = [];
  const allowed = [];
  const watch = (page) => {
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const entry = { text: msg.text(), url: msg.location()?.url ?? '' };
      if (allowed.some((f) => f(entry))) return;
      errors.push(`console.error: ${entry.text} (${entry.url})`);
    });
    page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  };
  context.on('page', watch);
  if (opts.initScript) await context.addInitScript(opts.initScript);
  return {
    context,
    errors,
    allow: (f) => allowed.push(f),
    async newPage() {
      const page = await context.newPage();
      return page;
    },
    async close() {
      await context.close().catch(() => undefined);
    },
  };
}

export async function register(page, nickname, password = PASSWORD) {
  await page.goto('/register');
  await page.getByLabel('Nickname').fill(nickname);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL('**/rooms');
  await page.getByRole('heading', { name: 'Rooms', level: 1 }).waitFor();
}

export async function login(page, nickname, password = PASSWORD) {
  await page.goto('/login');
  await page.getByLabel('Nickname').fill(nickname);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL('**/rooms');
}

export async function createRoom(page, name) {
  await page.getByLabel('Room name').fill(name);
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await page.waitForURL(/\/rooms\/\d+$/);
  await waitConnected(page);
  return page.url().split('/').pop();
}

export async function openRoomFromList(page, name) {
  if (!page.url().endsWith('/rooms')) await page.goto('/rooms');
  await page.getByRole('button', { name: /Refresh/ }).click();
  await page.getByRole('link', { name: new RegExp(escapeRe(name)) }).click();
  await page.waitForURL(/\/rooms\/\d+$/);
  await waitConnected(page);
}

export async function waitConnected(page) {
  await page.locator('[data-testid="connection"][data-status="open"]').waitFor();
}

export async function sendMessage(page, text) {
  const box = page.getByLabel('Message', { exact: true });
  await box.fill(text);
  await box.press('Enter');
}

/** The message bubbles' texts, in order. */
export function messageTexts(page) {
  return page.locator('.messages li[data-type="message"] .msg-text').allInnerTexts();
}

export function messageItem(page, text) {
  return page.locator('.messages li[data-type="message"]', {
    has: page.locator('.msg-text', { hasText: text }),
  });
}

export function onlineNames(page) {
  return page.locator('[data-testid="online-list"] li').evaluateAll((els) => els.map((e) => e.dataset.nickname));
}

/** Polls `fn` until it returns a truthy value; fails with `what` after `timeout` ms. */
export async function eventually(fn, what, timeout = STEP_TIMEOUT) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Test-only instrumentation: lets a test cut the page's WebSocket and keep it from reconnecting. */
export const socketControlScript = () => {
  const Real = window.WebSocket;
  const ctl = { sockets: [], block: false };
  window.__e2eSockets = ctl;
  class Refused {
    constructor() {
      this.readyState = 0;
      this.onopen = this.onmessage = this.onclose = this.onerror = null;
      setTimeout(() => {
        this.readyState = 3;
        this.onclose?.({ code: 1006, reason: '' });
      }, 50);
    }
    send() {}
    close() {
      this.readyState = 3;
    }
  }
  function Patched(url, protocols) {
    if (ctl.block) return new Refused();
    const ws = protocols === undefined ? new Real(url) : new Real(url, protocols);
    ctl.sockets.push(ws);
    return ws;
  }
  Patched.prototype = Real.prototype;
  Object.assign(Patched, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
  window.WebSocket = Patched;
};
