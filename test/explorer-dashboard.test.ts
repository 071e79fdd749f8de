import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { ARTIFACTS, browserSkipReason, type launchBrowser, openSignedIn } from './helpers/browser.ts';
import { STORE_KINDS } from './helpers/stores.ts';

/**
 * The explorer's dashboard tab and the summary chart (uPlot, served by Tally) in a real headless chromium,
 * against records seeded through the API: the numbers shown are the analytics API's, a click on a bar or a
 * customer opens the records table on that filter and range, in light and dark.
 */

const skip = browserSkipReason();

const DAY0 = Date.UTC(2026, 10, 1); // 2026-11-01, a Sunday
const DAYS = 7;
const MODELS = ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4', 'llama-local'];
/** Rarer models on day 3: seven models in all, so the chart stacks the top six and "Other models". */
const RARE = ['mistral-small', 'gemma-2', 'phi-3'];
/** Thirteen customers: the top ten are shown, the other three summed in one row. */
const CUSTOMERS = [
  'acme',
  'globex',
  'initech',
  'umbrella',
  'hooli',
  'stark',
  'wayne',
  'tyrell',
  'cyberdyne',
  'soylent',
  'wonka',
  'oscorp',
  'aperture',
];
const FROM = '2026-11-01T00:00:00Z';
const TO = '2026-11-08T00:00:00Z';
const DASHBOARD = `/?view=dashboard&from=${FROM}&to=${TO}&interval=day`;

/** 7 days × 14 records: models, customers, costs, latencies vary, busier mid-week; every 9th fails, a few uncosted. */
function seed(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let day = 0; day < DAYS; day++) {
    const n = 8 + ((day * 5) % 7) + (day === 3 ? 6 : 0);
    for (let j = 0; j < n; j++) {
      const i = out.length;
      out.push({
        field_4: day === 3 && j < RARE.length * 2 ? RARE[j % RARE.length] : MODELS[(i * 7 + day) % MODELS.length],
        field_10: CUSTOMERS[(i * i + day) % CUSTOMERS.length],
        field_5: { sub_field_a: 200 + ((i * 37) % 900), sub_field_b: 30 + ((i * 11) % 200) },
        field_6: i % 13 === 5 ? null : Math.round((0.002 + ((i * 29) % 31) * 0.0017 + (day === 3 ? 0.01 : 0)) * 1e6) / 1e6,
        field_7: Math.round((0.25 + ((i * 17) % 23) * 0.13 + day * 0.05) * 1000) / 1000,
        field_18: i % 9 === 4 ? 500 : 200,
        timestamp: new Date(DAY0 + day * 86_400_000 + ((j * 97 + 13) % 1440) * 60_000).toISOString(),
      });
    }
  }
  return out;
}

for (const kind of STORE_KINDS) {
  describe(`explorer dashboard and charts in a browser (${kind})`, { skip }, () => {
    let t: TestApp;
    let browser: Awaited<ReturnType<typeof launchBrowser>>;
    let page: Page;
    const problems: string[] = [];

    const api = async (url: string) => {
      const res = await t.request('GET', url);
      assert.equal(res.status, 200, `${url}: ${JSON.stringify(res.body)}`);
      return res.body;
    };
    const analytics = (params: Record<string, string>) =>
      api(`/api/records/analytics/?${new URLSearchParams({ param_a: FROM, end: TO, ...params })}`);
    const rowIds = () => page.locator('#rows tr[data-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
    const listIds = async (params: Record<string, string>) =>
      (await api(`/api/records/list/?${new URLSearchParams({ param_d: '-timestamp', param_c: '50', ...params })}`)).results.map(
        (r: any) => r.id,
      );
    /** Screenshots (docs/screenshots/ holds copies) from the SQLite run; the PostgreSQL run draws the same. */
    const shot = async (name: string) => {
      if (kind === 'sqlite') await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
    };
    const url = () => new URL(page.url());
    /** Waits until the dashboard has drawn the range (every chart has its canvas, nothing is loading). */
    const dashboardReady = async () => {
      await page.locator('.dash[aria-busy="false"]').waitFor();
      for (const id of ['dash-cost', 'dash-customers', 'dash-latency', 'dash-tokens']) await page.locator(`#${id} .plot canvas`).waitFor();
    };
    /** Formats in the page, with the explorer's own functions, what the page should show for a number. */
    const formatted = (fn: string, value: unknown) =>
      page.evaluate(([module, f, v]) => import(module).then((m) => m[f](v)), ['/js/format.js', fn, value] as const);
    /** Where (page pixels) a value sits in a chart: uPlot's own scale, as a user pointing at it would find it. */
    const pointAt = (plotSelector: string, x: number, y: number) =>
      page.evaluate(
        ([sel, xv, yv]) => {
          const u = (document.querySelector(sel) as any).uplot;
          const box = u.over.getBoundingClientRect();
          return { x: box.left + u.valToPos(xv, 'x'), y: box.top + u.valToPos(yv, 'y') };
        },
        [plotSelector, x, y] as const,
      );

    before(async () => {
      t = await startTestApp(kind);
      const batch = await t.request('POST', '/api/records/batch/', { records: seed() });
      assert.equal(batch.status, 201, JSON.stringify(batch.body));
      ({ browser, page } = await openSignedIn(t, problems));
    });
    after(async () => {
      await browser?.close();
      await t?.close();
    });

    test('uPlot is served by Tally from its npm package, with the explorer’s headers', async () => {
      const js = await t.request('GET', '/vendor/uplot.esm.js', undefined, { authorization: '' });
      assert.equal(js.status, 200);
      assert.match(String(js.headers['content-type']), /javascript/);
      assert.equal(js.body, fs.readFileSync('node_modules/uplot/dist/uPlot.esm.js', 'utf8'));
      assert.match(String(js.headers['content-security-policy']), /script-src 'self'/);
      const css = await t.request('GET', '/vendor/uplot.min.css', undefined, { authorization: '' });
      assert.match(String(css.headers['content-type']), /^text\/css/);
    });

    test('the Dashboard tab shows the range’s totals, every model and the top customers as the analytics API answers', async () => {
      await page.getByRole('link', { name: 'Dashboard' }).click();
      await page.waitForFunction(() => new URL(location.href).searchParams.get('view') === 'dashboard');
      assert.equal(await page.locator('#records').isVisible(), false, 'the records table is on the other tab');
      await page.goto(DASHBOARD);
      await dashboardReady();
      assert.equal(await page.getByRole('link', { name: 'Dashboard' }).getAttribute('aria-current'), 'page');

      const totals = (await analytics({ measures: 'count,cost,tokens_total,latency_p50,latency_p95,error_rate' })).results[0];
      assert.equal(totals.count, seed().length);
      const shown = async (key: string) => page.locator(`#dash-stats [data-stat="${key}"]`).getAttribute('data-value');
      for (const [stat, measure] of [
        ['count', 'count'],
        ['total_cost', 'cost'],
        ['total_tokens', 'tokens_total'],
        ['latency_p50', 'latency_p50'],
        ['latency_p95', 'latency_p95'],
        ['error_rate', 'error_rate'],
      ]) {
        assert.equal(await shown(stat), String(totals[measure]), stat);
      }
      assert.equal(
        await page
          .locator('#dash-stats [data-stat="total_cost"]')
          .innerText()
          .then((s) => s.split('\n')[0]),
        await formatted('formatCost', totals.cost),
      );

      const models = (await analytics({ group_by: 'field_4', measures: 'cost,count,tokens_total', order_by: '-cost' })).results;
      const modelRows = await page
        .locator('#dash-models tbody tr')
        .evaluateAll((rows) =>
          rows.map((r) => [
            r.getAttribute('data-model'),
            ...[...r.querySelectorAll('[data-value]')].map((c) => c.getAttribute('data-value')),
          ]),
        );
      assert.deepEqual(
        modelRows,
        models.map((m: any) => [m.group.field_4, String(m.cost), String(m.count), String(m.tokens_total)]),
      );

      const customers = (await analytics({ group_by: 'field_10', measures: 'cost,count,tokens_total', order_by: '-cost', limit: '10' }))
        .results;
      const customerRows = await page
        .locator('#dash-customer-table tbody tr')
        .evaluateAll((rows) =>
          rows.map((r) => [
            r.getAttribute('data-customer'),
            ...[...r.querySelectorAll('[data-value]')].map((c) => c.getAttribute('data-value')),
          ]),
        );
      assert.equal(customers.length, 11, 'ten customers and the other row');
      assert.deepEqual(
        customerRows.slice(0, 10),
        customers.slice(0, 10).map((c: any) => [c.group.field_10, String(c.cost), String(c.count), String(c.tokens_total)]),
      );
      // The page sums the other customers itself (it asks for up to 1,000): the same row as the API's, the cost to 1e-9.
      const [, cost, count, tokens] = customerRows[10];
      assert.equal(await page.locator('#dash-customer-table tbody tr').nth(10).getAttribute('data-other'), 'true');
      assert.deepEqual([count, tokens], [String(customers[10].count), String(customers[10].tokens_total)]);
      assert.ok(Math.abs(Number(cost) - customers[10].cost) <= 1e-9 * customers[10].cost, `${cost} vs ${customers[10].cost}`);
      // The latency and token charts' numbers, per day, as their Data tables give them.
      const daily = (await analytics({ interval: 'day', measures: 'latency_p50,latency_p95,error_rate,tokens_prompt,tokens_completion' }))
        .results;
      assert.equal(daily.length, 7);
      const table = (id: string) =>
        page
          .locator(`#${id} tbody tr`)
          .evaluateAll((rows) =>
            rows.map((r) => [
              r.getAttribute('data-bucket'),
              ...[...r.querySelectorAll('[data-value]')].map((c) => c.getAttribute('data-value')),
            ]),
          );
      assert.deepEqual(
        await table('dash-latency-table'),
        daily.map((d: any) => [d.bucket, String(d.latency_p50), String(d.latency_p95), String(d.error_rate)]),
      );
      assert.deepEqual(
        await table('dash-tokens-table'),
        daily.map((d: any) => [d.bucket, String(d.tokens_prompt), String(d.tokens_completion)]),
      );
      // The ranking chart draws the same customers, largest first.
      const drawn = await page.evaluate(() => (document.querySelector('#dash-customers .plot') as any).uplot.data[1]);
      assert.deepEqual(
        drawn,
        customers.slice(0, 10).map((c: any) => c.cost),
      );
    });

    test('the cost chart stacks each day’s cost by model; hovering a bar shows that day’s numbers', async () => {
      const byDay = (await analytics({ interval: 'day', group_by: 'field_4', measures: 'cost', limit: '1000' })).results;
      const day = 3;
      const bucket = new Date(DAY0 + day * 86_400_000).toISOString().replace('.000Z', 'Z');
      const rows = byDay.filter((r: any) => r.bucket === bucket);
      assert.ok(rows.length >= 3);
      // The stack: each model's series holds the running total; its own value shows on hover.
      const stack = await page.evaluate(
        ([i]) => {
          const u = (document.querySelector('#dash-cost .plot') as any).uplot;
          return u.series.slice(1).map((s: any, k: number) => ({ label: s.label, top: u.data[k + 1][i] }));
        },
        [day] as const,
      );
      const total = rows.reduce((sum: number, r: any) => sum + (r.cost ?? 0), 0);
      assert.ok(
        Math.abs(Math.max(...stack.map((s: { top: number | null }) => s.top ?? 0)) - total) < 1e-9,
        'the stack’s top is the day’s cost',
      );

      const mid = (DAY0 / 1000 + day * 86_400 + 43_200) as number;
      const at = await pointAt('#dash-cost .plot', mid, total / 2);
      await page.mouse.move(at.x, at.y);
      const legend = page.locator('#dash-cost .u-legend');
      await legend.locator('.u-series').first().getByText('2026-11-04').waitFor();
      const values = Object.fromEntries(
        await legend
          .locator('.u-series')
          .evaluateAll((series) => series.map((s) => [s.querySelector('.u-label')?.textContent, s.querySelector('.u-value')?.textContent])),
      );
      // The six models with the most cost over the range are stacked; the seventh is in "Other models".
      const ranked = (await analytics({ group_by: 'field_4', measures: 'cost', order_by: '-cost' })).results.map(
        (r: any) => r.group.field_4,
      );
      assert.equal(ranked.length, 7);
      for (const r of rows.filter((x: any) => ranked.indexOf(x.group.field_4) < 6))
        assert.equal(values[r.group.field_4], await formatted('formatCost', r.cost), r.group.field_4);
      const other = rows.filter((x: any) => ranked.indexOf(x.group.field_4) >= 6);
      assert.equal(other.length, 1);
      assert.equal(values[ranked[6]], undefined);
      assert.equal(values['Other models'], await formatted('formatCost', other[0].cost));
      await shot('dashboard-light');
      await page.emulateMedia({ colorScheme: 'dark' });
      await dashboardReady();
      await page.mouse.move(at.x, at.y);
      await legend.locator('.u-series').first().getByText('2026-11-04').waitFor();
      const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(background, 'rgb(18, 21, 27)', 'the dark scheme applies');
      // The canvas was drawn again in the dark colours: the bottom model's bars and its swatch use --series-0.
      const colours = await page.evaluate(() => {
        const u = (document.querySelector('#dash-cost .plot') as any).uplot;
        const k = u.series.length - 1; // stacked series are drawn top first: the bottom one is last
        return {
          variable: getComputedStyle(document.documentElement).getPropertyValue('--series-0').trim(),
          stroke: u.series[k].stroke(u, k),
          swatch: getComputedStyle(document.querySelector('#dash-models tbody tr .swatch') as Element).backgroundColor,
        };
      });
      assert.deepEqual(colours, { variable: '#6d9bff', stroke: '#6d9bff', swatch: 'rgb(109, 155, 255)' });
      await shot('dashboard-dark');
      await page.emulateMedia({ colorScheme: 'light' });
    });

    test('clicking a model’s part of a bar opens the records table on that model and that day', async () => {
      await page.goto(DASHBOARD);
      await dashboardReady();
      const day = 3;
      const byDay = (await analytics({ interval: 'day', group_by: 'field_4', measures: 'cost', limit: '1000' })).results;
      const bucket = new Date(DAY0 + day * 86_400_000).toISOString().replace('.000Z', 'Z');
      const end = new Date(DAY0 + (day + 1) * 86_400_000).toISOString().replace('.000Z', 'Z');
      // The bottom segment of the stack is the model with the most cost over the range.
      const bottom = (await analytics({ group_by: 'field_4', measures: 'cost', order_by: '-cost', limit: '1' })).results[0].group.field_4;
      const own = byDay.find((r: any) => r.bucket === bucket && r.group.field_4 === bottom).cost;
      const at = await pointAt('#dash-cost .plot', DAY0 / 1000 + day * 86_400 + 43_200, own / 2);
      await page.mouse.click(at.x, at.y);

      const filters = { field_4: { operator: '', value: [bottom] }, timestamp: { operator: 'lt', value: [end] } };
      await page.waitForFunction(() => new URL(location.href).searchParams.get('view') === null);
      assert.equal(url().searchParams.get('param_a'), bucket);
      assert.deepEqual(JSON.parse(url().searchParams.get('filters') ?? 'null'), filters);
      const expected = await listIds({ param_a: bucket, filters: JSON.stringify(filters) });
      assert.ok(expected.length > 0);
      await page.waitForFunction((n) => document.querySelectorAll('#rows tr[data-id]').length === n, expected.length);
      assert.deepEqual(await rowIds(), expected);
      assert.equal(await page.getByRole('link', { name: 'Records', exact: true }).getAttribute('aria-current'), 'page');
      assert.equal(await page.getByRole('textbox', { name: /^Start time/ }).inputValue(), bucket, 'the range shows in the filters');
      await shot('dashboard-opened-records');

      await page.goBack(); // Back returns to the dashboard
      await dashboardReady();
      assert.equal(url().searchParams.get('view'), 'dashboard');
    });

    test('clicking a customer (its bar, or its name in the models’ table) opens the records table filtered, over the range', async () => {
      await page.goto(DASHBOARD);
      await dashboardReady();
      const customers = (await analytics({ group_by: 'field_10', measures: 'cost', order_by: '-cost', limit: '10' })).results;
      const second = customers[1];
      const at = await page.evaluate(
        ([cost]) => {
          const u = (document.querySelector('#dash-customers .plot') as any).uplot;
          const box = u.over.getBoundingClientRect();
          return { x: box.left + u.valToPos(cost / 2, 'y'), y: box.top + u.valToPos(1, 'x') };
        },
        [second.cost] as const,
      );
      await page.mouse.click(at.x, at.y);
      const filters = { field_10: { operator: '', value: [second.group.field_10] }, timestamp: { operator: 'lt', value: [TO] } };
      await page.waitForFunction(() => new URL(location.href).searchParams.get('view') === null);
      assert.deepEqual(JSON.parse(url().searchParams.get('filters') ?? 'null'), filters);
      assert.equal(url().searchParams.get('param_a'), FROM);
      const expected = await listIds({ param_a: FROM, filters: JSON.stringify(filters) });
      await page.waitForFunction((n) => document.querySelectorAll('#rows tr[data-id]').length === n, expected.length);
      assert.deepEqual(await rowIds(), expected);

      await page.goBack();
      await dashboardReady();
      await page.locator('#dash-models').getByRole('button', { name: 'llama-local' }).click();
      const byModel = { field_4: { operator: '', value: ['llama-local'] }, timestamp: { operator: 'lt', value: [TO] } };
      await page.waitForFunction(() => new URL(location.href).searchParams.get('view') === null);
      assert.deepEqual(JSON.parse(url().searchParams.get('filters') ?? 'null'), byModel);
      const models = await listIds({ param_a: FROM, filters: JSON.stringify(byModel) });
      await page.waitForFunction((n) => document.querySelectorAll('#rows tr[data-id]').length === n, models.length);
      assert.deepEqual(await rowIds(), models);
    });

    test('each tab keeps its view; a bucket in the latency table opens its records, slowest first', async () => {
      await page.goto(`${DASHBOARD.replace('interval=day', 'interval=week')}`);
      await dashboardReady();
      const dashboardUrl = page.url();
      await page.getByRole('link', { name: 'Records', exact: true }).click();
      await page.waitForFunction(() => new URL(location.href).searchParams.get('view') === null);
      await page.locator('#rows tr[data-id]').first().waitFor();
      await page.getByRole('link', { name: 'Dashboard' }).click();
      await page.waitForFunction((u) => location.href === u, dashboardUrl);
      await dashboardReady();

      await page.goto(DASHBOARD);
      await dashboardReady();
      await page.locator('#dash-latency summary').click();
      await page.locator('#dash-latency-table').getByRole('button', { name: '2026-11-03' }).click();
      const filters = { timestamp: { operator: 'lt', value: ['2026-11-04T00:00:00Z'] } };
      await page.waitForFunction(() => new URL(location.href).searchParams.get('view') === null);
      assert.equal(url().searchParams.get('param_a'), '2026-11-03T00:00:00Z');
      assert.equal(url().searchParams.get('param_d'), '-field_7');
      assert.deepEqual(JSON.parse(url().searchParams.get('filters') ?? 'null'), filters);
      const expected = await listIds({ param_a: '2026-11-03T00:00:00Z', filters: JSON.stringify(filters), param_d: '-field_7' });
      assert.ok(expected.length > 3);
      await page.waitForFunction((n) => document.querySelectorAll('#rows tr[data-id]').length === n, expected.length);
      assert.deepEqual(await rowIds(), expected);
    });

    test('the range picker and the interval: two days by hour, then the week by week', async () => {
      await page.goto(`/?view=dashboard&from=${FROM}&to=${TO}`);
      await dashboardReady();
      await page.locator('#dash-range').getByText('per day').waitFor(); // seven days: by day unless asked
      await page.getByLabel('From').fill('2026-11-03');
      await page.getByLabel('to', { exact: true }).fill('2026-11-04');
      await page.getByRole('button', { name: 'Apply range' }).click();
      await page.waitForFunction(() => new URL(location.href).searchParams.get('from') === '2026-11-03T00:00:00Z');
      assert.equal(url().searchParams.get('to'), '2026-11-05T00:00:00Z');
      await dashboardReady();
      const two = (await api(`/api/records/analytics/?param_a=2026-11-03T00:00:00Z&end=2026-11-05T00:00:00Z&measures=count,cost`))
        .results[0];
      await page.waitForFunction(
        (n) => document.querySelector('#dash-stats [data-stat="count"]')?.getAttribute('data-value') === String(n),
        two.count,
      );
      // Sums to 1e-9 (analytics.md): the page's request and this one may be added up in another order (rollups or scan).
      const shownCost = Number(await page.locator('#dash-stats [data-stat="total_cost"]').getAttribute('data-value'));
      assert.ok(Math.abs(shownCost - two.cost) <= 1e-9 * two.cost, `${shownCost} vs ${two.cost}`);
      await page.locator('#dash-range').getByText('per hour').waitFor();
      const hours = await page.evaluate(() => (document.querySelector('#dash-latency .plot') as any).uplot.data[0].length);
      assert.equal(hours, 48, 'every hour of the two days');

      await page.goto(DASHBOARD);
      await dashboardReady();
      await page.getByLabel('Interval').selectOption('week');
      await page.waitForFunction(() => new URL(location.href).searchParams.get('interval') === 'week');
      await page.locator('#dash-range').getByText('per week').waitFor();
      await dashboardReady();
      const weeks = (await analytics({ interval: 'week', measures: 'count,tokens_prompt,tokens_completion' })).results;
      const drawn = await page.evaluate(() => {
        const u = (document.querySelector('#dash-tokens .plot') as any).uplot;
        return { starts: u.data[0].map((x: number) => x - 302_400), top: u.data[1] };
      });
      // Weeks start on Monday: 2026-10-26 (holding Sunday 1 November) and 2026-11-02.
      assert.deepEqual(
        drawn.starts.map((s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z')),
        weeks.map((w: any) => w.bucket),
      );
      assert.deepEqual(
        drawn.top,
        weeks.map((w: any) => w.tokens_prompt + w.tokens_completion),
        'the token stack’s top is prompt + completion',
      );
    });

    test('a preset range with no records: the preset is pressed, the totals are zero and each chart says so', async () => {
      await page.goto(DASHBOARD);
      await dashboardReady();
      await page.getByRole('button', { name: 'Last 24h' }).click();
      await page.waitForFunction(() => new URL(location.href).searchParams.get('range') === '24h');
      assert.equal(url().searchParams.get('from'), null);
      assert.equal(await page.getByRole('button', { name: 'Last 24h' }).getAttribute('aria-pressed'), 'true');
      await page.locator('#dash-range').getByText('per hour').waitFor();
      await page.waitForFunction(() => document.querySelector('#dash-stats [data-stat="count"]')?.getAttribute('data-value') === '0');
      for (const id of ['dash-cost', 'dash-customers', 'dash-latency', 'dash-tokens'])
        await page.locator(`#${id} .plot`).getByText('No records in this range.').waitFor();
    });

    test('on a phone (390 px) the dashboard fits the width: controls wrap, charts shrink', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      try {
        await page.goto(DASHBOARD);
        await dashboardReady();
        const widths = await page.evaluate(() => ({
          page: document.documentElement.scrollWidth,
          charts: [...document.querySelectorAll('.dash-chart .uplot, .dash-chart .figure-extra')].map(
            (u) => u.getBoundingClientRect().right,
          ),
        }));
        assert.ok(widths.page <= 390, `the page is ${widths.page} px wide`);
        assert.ok(
          widths.charts.every((right) => right <= 390),
          `charts end at ${widths.charts}`,
        );
        await shot('dashboard-phone');
      } finally {
        await page.setViewportSize({ width: 1400, height: 900 });
      }
    });

    test('the summary chart is uPlot with time and value ticks; hovering shows a bucket’s records and cost', async () => {
      await page.goto(`/?param_a=${FROM}`);
      await page.locator('#chart .plot canvas').waitFor();
      const summary = await api(`/api/records/summary/?param_a=${FROM}`);
      await page.waitForFunction(() => document.querySelector('[data-stat="count"]')?.getAttribute('data-value') !== null);
      const rows = await page
        .locator('#chart .chart-data tbody tr')
        .evaluateAll((trs) =>
          trs.map((tr) => [
            tr.getAttribute('data-start'),
            ...[...tr.querySelectorAll('[data-value]')].map((c) => c.getAttribute('data-value')),
          ]),
        );
      assert.deepEqual(
        rows,
        summary.buckets.map((b: any) => [b.start, String(b.count), String(b.cost)]),
      );
      // uPlot draws the axes on the canvas; the labels it drew are kept on each axis (_values).
      const ticks: string[][] = await page.evaluate(() =>
        (document.querySelector('#chart .plot') as any).uplot.axes.map((a: any) => a._values),
      );
      assert.ok(ticks[0].length >= 4 && ticks[0].every((v) => /^\d\d:\d\d(\n[A-Z][a-z]{2} \d+)?$/.test(v)), `time ticks: ${ticks[0]}`);
      assert.match(ticks[0][0], /\nMar 1$|\n[A-Z][a-z]{2} \d+$/, 'the first tick carries the date');
      assert.ok(ticks[1].length >= 3 && ticks[1][0] === '0', `value ticks for records: ${ticks[1]}`);
      assert.ok(ticks[2].length >= 3 && ticks[2].every((v) => v.startsWith('$')), `cost ticks: ${ticks[2]}`);

      const busiest = summary.buckets.reduce((a: any, b: any) => (b.count > a.count ? b : a));
      const x = Date.parse(busiest.start) / 1000 + summary.bucket_seconds / 2;
      const at = await pointAt('#chart .plot', x, busiest.count / 2);
      await page.mouse.move(at.x, at.y);
      const legend = page.locator('#chart .u-legend');
      await legend
        .locator('.u-series', { hasText: 'Records' })
        .locator('.u-value')
        .getByText(String(busiest.count), { exact: true })
        .waitFor();
      assert.equal(
        await legend.locator('.u-series', { hasText: 'Cost' }).locator('.u-value').innerText(),
        await formatted('formatCost', busiest.cost),
      );
      if (kind === 'sqlite') await page.locator('#summary').screenshot({ path: path.join(ARTIFACTS, 'summary-chart.png') });
    });

    test('no script errors or CSP violations on the way', () => {
      assert.deepEqual(problems, []);
    });
  });
}
