import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { tempDir, type TestApp } from './app.ts';

/** Debian's chromium; the tests never download a browser. */
export const CHROMIUM = '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * Whether browser tests can run: a reason to skip when chromium is missing on a developer's machine;
 * in CI (CI=true) a missing browser is a failure, thrown here.
 */
export function browserSkipReason(): string | false {
  if (fs.existsSync(CHROMIUM)) return false;
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing in CI; .ci/run installs Debian's chromium package`);
  const reason = `${CHROMIUM} not found: browser tests skipped (apt-get install -y chromium to run them)`;
  process.stderr.write(`\n*** NOTICE: ${reason} ***\n\n`);
  return reason;
}

/** A headless chromium with a fresh profile, removed again by close(). */
export async function launchBrowser(baseURL: string): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const { chromium } = await import('playwright-core');
  const profile = tempDir('tally-chromium-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    baseURL,
    viewport: { width: 1400, height: 900 },
    timeout: 30_000,
  });
  context.setDefaultTimeout(10_000);
  // A screen under 1,000 px high starts with the explorer's filter and summary cards folded (web/js/collapsible.js);
  // the tests were written against unfolded cards, so each tab starts as a user who unfolded them. A test of the
  // default removes the choice (the marker in sessionStorage keeps this from putting it back on a reload).
  await context.addInitScript(() => {
    if (sessionStorage.getItem('tally.test.unfolded')) return;
    sessionStorage.setItem('tally.test.unfolded', '1');
    if (!localStorage.getItem('tally.explorer.collapsed')) {
      localStorage.setItem('tally.explorer.collapsed', JSON.stringify({ filters: false, summary: false }));
    }
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Where the browser tests put their screenshots (docs/ keeps the ones worth showing). */
export const ARTIFACTS = path.resolve('test-artifacts');

/** Polls an assertion until it holds (auto-waiting for what a locator cannot express), at most timeoutMs. */
export async function eventually(check: () => Promise<void> | void, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * The app served on a real socket and its explorer open in chromium, signed in with the app's key, its first row
 * shown. The page's errors and console errors are pushed to `problems` (a test asserts it is empty at the end).
 */
export async function openSignedIn(
  t: TestApp,
  problems: string[],
  opts: { viewport?: { width: number; height: number } } = {},
): Promise<{ browser: Awaited<ReturnType<typeof launchBrowser>>; page: Page; base: string }> {
  const base = await t.app.http.listen({ host: '127.0.0.1', port: 0 });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const browser = await launchBrowser(base);
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  if (opts.viewport) await page.setViewportSize(opts.viewport);
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  await page.goto('/');
  await page.getByLabel('API key').fill(t.key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#rows tr[data-id]').first().waitFor();
  return { browser, page, base };
}
