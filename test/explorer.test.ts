import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { browserSkipReason, launchBrowser } from './helpers/browser.ts';
import { ERROR_INDEX, explorerSeed, TOOL_INDEX, XSS_CUSTOMER, XSS_INDEX, XSS_TEXT } from './helpers/explorer-seed.ts';

/** The explorer in a real headless chromium against the real server on a socket. */

const ARTIFACTS = path.resolve('test-artifacts');
const skip = browserSkipReason();

/** Polls an assertion until it holds (auto-waiting for what a locator cannot express). */
async function eventually(check: () => Promise<void> | void, timeoutMs = 10_000): Promise<void> {
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

describe('records explorer in a browser', { skip }, () => {
  let t: TestApp;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  const seeded: any[] = [];
  const problems: string[] = [];

  const api = async (url: string) => {
    const res = await t.request('GET', url);
    assert.equal(res.status, 200, url);
    return res.body;
  };
  const rowIds = () => page.locator('#rows tr[data-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
  const idsOf = (list: any) => list.results.map((r: any) => r.id);
  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
  const viewUrl = (params: Record<string, string>) => `/?${new URLSearchParams(params)}`;

  before(async () => {
    t = await startTestApp('sqlite');
    for (const body of explorerSeed()) {
      const res = await t.request('POST', '/api/records/create/', body);
      assert.equal(res.status, 201);
      seeded.push(res.body);
    }
    base = await t.app.http.listen({ host: '127.0.0.1', port: 0 });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchBrowser(base);
    context = browser.context;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  test('sign in with a key kept in sessionStorage only; the table shows the newest records first', async () => {
    const res = await page.goto('/');
    assert.equal(res?.status(), 200);
    await page.getByLabel('API key').fill('wrong-key-0123456789');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That key was not accepted.').waitFor();
    problems.splice(0); // the browser logs that deliberate 401; only later problems count
    await page.getByLabel('API key').fill(t.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const expected = await api('/api/records/list/?param_d=-timestamp&param_c=50');
    await eventually(async () => assert.deepEqual(await rowIds(), idsOf(expected)));
    assert.equal(expected.results[0].id, seeded[59].id, 'newest first');
    await page.locator('#rows tr').first().getByText(seeded[59].timestamp.replace('T', ' ').replace('Z', '')).waitFor();
    assert.equal(await page.locator('#header-row th[data-field="timestamp"]').getAttribute('aria-sort'), 'descending');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('tally.apiKey')), t.key);
    // localStorage may hold the folded cards' choice (test/helpers/browser.ts), never the key.
    assert.ok(await page.evaluate((key) => Object.values(localStorage).every((v) => !v.includes(key)), t.key));
    assert.ok(!page.url().includes(t.key));
    await shot('01-signed-in');
  });

  test('filters on a column, a metadata key and a start time: the URL holds them, Back and reload keep them', async () => {
    await page.getByRole('button', { name: 'Add filter' }).click();
    await page.getByLabel('Filter 1 field').selectOption('field_4');
    await page.getByLabel('Filter 1 value').fill('gpt-4o');
    await page.getByRole('button', { name: 'Add filter' }).click();
    await page.getByLabel('Filter 2 field').selectOption('__metadata__');
    await page.getByLabel('Filter 2 metadata key').fill('tier');
    await page.getByLabel('Filter 2 operator').selectOption('in');
    await page.getByLabel('Filter 2 value').fill('gold, silver');
    await page.getByRole('button', { name: 'Apply' }).click();

    const filters = { field_4: { operator: '', value: ['gpt-4o'] }, field_9__tier: { operator: 'in', value: ['gold', 'silver'] } };
    await eventually(() => assert.deepEqual(JSON.parse(new URL(page.url()).searchParams.get('filters') ?? 'null'), filters));
    const expected = await api(`/api/records/list/?param_d=-timestamp&param_c=50&filters=${encodeURIComponent(JSON.stringify(filters))}`);
    assert.ok(expected.count > 3 && expected.count < 30);
    await eventually(async () => assert.deepEqual(await rowIds(), idsOf(expected)));
    await page.getByText(`${expected.count} matching`).waitFor();

    await page.getByRole('textbox', { name: /^Start time/ }).fill('2025-03-01T09:20:00Z');
    await page.getByRole('button', { name: 'Apply' }).click();
    await eventually(() => assert.equal(new URL(page.url()).searchParams.get('param_a'), '2025-03-01T09:20:00Z'));
    const since = await api(
      `/api/records/list/?param_d=-timestamp&param_c=50&param_a=2025-03-01T09:20:00Z&filters=${encodeURIComponent(JSON.stringify(filters))}`,
    );
    assert.ok(since.count > 0 && since.count < expected.count);
    await eventually(async () => assert.deepEqual(await rowIds(), idsOf(since)));
    await page.goBack(); // Back returns to the view before the start time
    await eventually(async () => assert.deepEqual(await rowIds(), idsOf(expected)));
    assert.equal(await page.getByRole('textbox', { name: /^Start time/ }).inputValue(), '');

    await page.reload();
    await eventually(async () => assert.deepEqual(await rowIds(), idsOf(expected)));
    assert.equal(await page.getByLabel('Filter 1 value').inputValue(), 'gpt-4o');
    assert.equal(await page.getByLabel('Filter 2 metadata key').inputValue(), 'tier');
    assert.equal(await page.getByLabel('Filter 2 operator').inputValue(), 'in');
    assert.equal(await page.getByLabel('Filter 2 value').inputValue(), 'gold, silver');
    await shot('02-filtered');
  });

  test('the summary matches the API for the current filter, with a chart of the buckets', async () => {
    const filters = new URL(page.url()).searchParams.get('filters')!;
    const summary = await api(`/api/records/summary/?filters=${encodeURIComponent(filters)}`);
    for (const key of ['count', 'total_cost', 'total_tokens', 'latency_p50', 'latency_p95', 'error_rate']) {
      await eventually(async () =>
        assert.equal(await page.locator(`[data-stat="${key}"]`).getAttribute('data-value'), String(summary[key]), key),
      );
    }
    await page.locator('[data-stat="count"]').getByText(String(summary.count)).waitFor();
    await page.locator('#chart .plot canvas').waitFor(); // drawn by uPlot (test/explorer-dashboard.test.ts tests the chart)
    assert.equal(await page.locator('#chart .chart-data tbody tr').count(), summary.buckets.length);
    assert.match(
      (await page.locator('#chart').getAttribute('aria-label')) ?? '',
      new RegExp(`^Records and cost over time. ${summary.count} records`),
    );
  });

  test('pagination and page size', async () => {
    await page.getByRole('button', { name: 'Clear all' }).click();
    await eventually(() => assert.equal(new URL(page.url()).searchParams.get('filters'), null));
    await page.getByLabel('Page size').selectOption('25');
    const p1 = await api('/api/records/list/?param_d=-timestamp&param_c=25');
    await eventually(async () => assert.deepEqual(await rowIds(), idsOf(p1)));
    assert.equal(await page.getByRole('button', { name: '← Previous' }).isDisabled(), true);
    await page.getByRole('button', { name: 'Next →' }).click();
    const p2 = await api('/api/records/list/?param_d=-timestamp&param_c=25&param_b=2');
    await eventually(async () => assert.deepEqual(await rowIds(), idsOf(p2)));
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('param_b'), '2');
    assert.equal(url.searchParams.get('param_c'), '25');
    await page.getByText('Page 2 of 3').waitFor();
    await page.goBack();
    await eventually(async () => assert.deepEqual(await rowIds(), idsOf(p1)), 10_000);
  });

  test('sort by cost by clicking the header: ascending, then descending', async () => {
    await page.getByRole('button', { name: /^Cost: sort ascending/ }).click();
    const asc = await api('/api/records/list/?param_d=field_6&param_c=25');
    await eventually(async () => assert.deepEqual(await rowIds(), idsOf(asc)));
    assert.equal(new URL(page.url()).searchParams.get('param_d'), 'field_6');
    assert.equal(await page.locator('#header-row th[data-field="field_6"]').getAttribute('aria-sort'), 'ascending');
    await page.getByRole('button', { name: /^Cost: sort descending/ }).click();
    const desc = await api('/api/records/list/?param_d=-field_6&param_c=25');
    await eventually(async () => assert.deepEqual(await rowIds(), idsOf(desc)));
    assert.equal(new URL(page.url()).searchParams.get('param_d'), '-field_6');
    assert.equal(await page.locator('#header-row th[data-field="field_6"]').getAttribute('aria-sort'), 'descending');
    await shot('03-sorted-by-cost');
  });

  test('keyboard: arrow to the tool-calling record, Enter opens it, Escape closes and returns focus', async () => {
    await page.goto('/');
    await eventually(async () => assert.equal((await rowIds()).length, 50));
    const ids = await rowIds();
    const target = ids.indexOf(seeded[TOOL_INDEX].id);
    assert.ok(target > 0);
    await page.locator('#rows tr[data-id]').first().focus();
    for (let i = 0; i < target; i++) await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-id')), seeded[TOOL_INDEX].id);
    await page.keyboard.press('Enter');

    const panel = page.getByRole('dialog');
    await panel.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'detail', 'focus moves into the panel');
    const conversation = panel.locator('#record-conversation').locator('..');
    await conversation.locator('[data-role="user"]').getByText('What is the weather in Paris?').waitFor();
    const call = conversation.locator('[data-tool-call="get_weather"]');
    await call.getByText('call_weather_1').waitFor();
    assert.match(await call.locator('pre').innerText(), /"city": "Paris"/);
    await conversation.locator('[data-role="tool"]').getByText('result of call_weather_1').waitFor();
    await conversation.locator('.message.output').getByText('It is 18 °C and cloudy in Paris.').waitFor();
    await panel.locator('[data-tool="get_weather"]').getByText('Current weather for a city').waitFor();
    await panel.getByText('Tool choice').waitFor();
    assert.equal(new URL(page.url()).searchParams.get('record'), seeded[TOOL_INDEX].id, 'the open record is in the URL');
    await shot('04-detail-tool-call');

    await panel.getByText('Raw JSON').click();
    const raw = await panel.locator('#raw-json').innerText();
    assert.deepEqual(JSON.parse(raw), await api(`/api/records/${seeded[TOOL_INDEX].id}/`));
    await panel.getByRole('button', { name: 'Copy JSON' }).click();
    await panel.getByText('Copied').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), raw);

    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'hidden' });
    assert.equal(
      await page.evaluate(() => document.activeElement?.getAttribute('data-id')),
      seeded[TOOL_INDEX].id,
      'focus returns to the row',
    );
    assert.equal(new URL(page.url()).searchParams.get('record'), null);
  });

  test('a failed record: error text and warnings are highlighted (deep link by record id)', async () => {
    await page.goto(viewUrl({ record: seeded[TOOL_INDEX].id }));
    const panel = page.getByRole('dialog');
    await panel.locator('[data-tool-call="get_weather"]').waitFor();
    await shot('00-overview'); // docs/explorer.png is a copy of this one
    await page.goto(viewUrl({ record: seeded[ERROR_INDEX].id }));
    await panel.locator('#record-error').getByText('Rate limit exceeded: 10000 tokens per minute').waitFor();
    await panel.locator('#record-error').getByText('HTTP 429').waitFor();
    await panel.locator('#record-warnings').getByText('request was retried twice', { exact: false }).waitFor();
    await shot('05-detail-error');
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'hidden' });
  });

  test('live tail: a record created after the page loaded appears without a reload', async () => {
    await page.goto('/');
    await eventually(async () => assert.equal((await rowIds()).length, 50));
    await page.getByLabel('Live tail').check();
    const created = await t.request('POST', '/api/records/create/', {
      field_4: 'gpt-4o-mini',
      field_10: 'customer_live_tail',
      field_6: 0.5,
      field_7: 1,
    });
    assert.equal(created.status, 201);
    await page.locator(`#rows tr[data-id="${created.body.id}"]`).getByText('customer_live_tail').waitFor({ timeout: 15_000 });
    assert.equal((await rowIds())[0], created.body.id, 'on top: newest first');
    await eventually(async () => assert.equal(await page.locator('[data-stat="count"]').getAttribute('data-value'), '61'));
    await page.getByLabel('Live tail').uncheck();
  });

  test('live tail: a record sent with a day-old timestamp appears too (the tail follows ids, not timestamps)', async () => {
    // The newest timestamp on screen is now, so the old timestamp is behind anything a timestamp cursor would ask for.
    const recent = await t.request('POST', '/api/records/create/', { field_4: 'gpt-4o', field_10: 'customer_recent' });
    assert.equal(recent.status, 201);
    await page.goto('/');
    await page.locator(`#rows tr[data-id="${recent.body.id}"]`).waitFor();
    const countBefore = Number(await page.locator('[data-stat="count"]').getAttribute('data-value'));
    await page.evaluate(() => ((window as any).__sameDocument = true));
    await page.getByLabel('Live tail').check();
    await new Promise((r) => setTimeout(r, 2500)); // at least one poll has run before the record arrives

    const dayAgo = new Date(Date.now() - 86_400_000).toISOString();
    const old = await t.request('POST', '/api/records/create/', {
      field_4: 'gpt-4o-mini',
      field_10: 'customer_day_old',
      timestamp: dayAgo,
    });
    assert.equal(old.status, 201);
    await page.locator(`#rows tr[data-id="${old.body.id}"]`).getByText('customer_day_old').waitFor({ timeout: 15_000 });
    const ids = await rowIds();
    assert.ok(ids.indexOf(old.body.id) > ids.indexOf(recent.body.id), 'sorted by timestamp: below the recent one');
    await eventually(async () =>
      assert.equal(Number(await page.locator('[data-stat="count"]').getAttribute('data-value')), countBefore + 1),
    );
    assert.equal(await page.evaluate(() => (window as any).__sameDocument), true, 'no reload');
    await page.getByLabel('Live tail').uncheck();
  });

  test('record content is text, never markup: the XSS record shows its markup and runs nothing', async () => {
    const filters = JSON.stringify({ field_10: { operator: 'icontains', value: ['CUST_XSS'] } });
    await page.goto(viewUrl({ filters }));
    const row = page.locator(`#rows tr[data-id="${seeded[XSS_INDEX].id}"]`);
    await row.getByText(XSS_CUSTOMER, { exact: true }).waitFor();
    await row.getByText(XSS_CUSTOMER, { exact: true }).hover();
    await row.focus();
    await page.keyboard.press('Enter');
    const panel = page.getByRole('dialog');
    await panel.locator('[data-role="user"]').getByText(XSS_TEXT, { exact: true }).waitFor();
    await panel.locator('.message.output').getByText(`I will not run ${XSS_TEXT}`).waitFor();
    await panel.locator('#record-metadata').locator('..').getByText(XSS_TEXT, { exact: true }).waitFor();
    await shot('06-xss-as-text');
    assert.equal(await page.evaluate(() => (window as any).__pwned), undefined, 'no record script ran');
    assert.equal(await page.locator('img').count(), 0, 'no <img> from record text');
    assert.equal(await page.locator('b').count(), 0, 'no <b> from record text');
    assert.equal(await page.locator('script').count(), 1, 'only the page’s own module script');
  });

  test('no script errors or CSP violations on the way', () => {
    assert.deepEqual(problems, []);
  });
});
