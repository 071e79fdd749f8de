import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { ARTIFACTS, browserSkipReason, type launchBrowser, openSignedIn } from './helpers/browser.ts';
import { request, START, sendTraces, span } from './helpers/otlp.ts';

/** The detail panel's trace waterfall in a real headless chromium, for a trace sent through POST /v1/traces. */

const skip = browserSkipReason();

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = { workflow: '00f067aa0ba90201', plan: '00f067aa0ba90202', tool: '00f067aa0ba90203', answer: '00f067aa0ba90204' };
const ms = (n: number) => BigInt(n) * 1_000_000n;

/** A workflow (4 s) with two chats (plan at 0.5 s, answer at 2 s) and a tool call under the first chat. */
function traceSpans() {
  const workflow = span({
    traceId: TRACE,
    spanId: SPAN.workflow,
    name: 'answer-question',
    start: START,
    end: START + ms(4000),
    attributes: { 'traceloop.span.kind': 'workflow', 'traceloop.workflow.name': 'support-bot' },
  });
  const chat = (spanId: string, name: string, at: number, length: number, model: string, input: number, output: number, cost: number) =>
    span({
      traceId: TRACE,
      spanId,
      parentSpanId: SPAN.workflow,
      name,
      start: START + ms(at),
      end: START + ms(at + length),
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': model,
        'gen_ai.usage.input_tokens': input,
        'gen_ai.usage.output_tokens': output,
        'gen_ai.usage.cost': cost,
      },
    });
  const tool = span({
    traceId: TRACE,
    spanId: SPAN.tool,
    parentSpanId: SPAN.plan,
    name: 'execute_tool get_weather',
    start: START + ms(1000),
    end: START + ms(1200),
    attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'get_weather' },
  });
  // Children before their parents, the later chat first: the tree must not depend on the order spans arrive in.
  return [
    chat(SPAN.answer, 'chat answer', 2000, 1500, 'gpt-4o', 300, 50, 0.004),
    tool,
    workflow,
    chat(SPAN.plan, 'chat plan', 500, 1000, 'gpt-4o-mini', 100, 20, 0.0012),
  ];
}

describe('trace waterfall in the detail panel', { skip }, () => {
  let t: TestApp;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const ids: Record<keyof typeof SPAN, string> = { workflow: '', plan: '', tool: '', answer: '' };
  let plainId = '';
  const problems: string[] = [];

  const rows = () => page.locator('#trace-section [role="treeitem"]');
  const openId = () => new URL(page.url()).searchParams.get('record');
  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });

  before(async () => {
    t = await startTestApp('sqlite');
    const sent = await sendTraces(t, request(traceSpans(), 'support-service'), 'json');
    assert.equal(sent.status, 200, sent.raw.toString());
    const list = await t.request(
      'GET',
      `/api/records/list/?param_d=timestamp&filters=${encodeURIComponent(JSON.stringify({ field_13: { operator: '', value: [TRACE] } }))}`,
    );
    assert.equal(list.status, 200);
    assert.equal(list.body.count, 4);
    for (const r of list.body.results) ids[(Object.keys(SPAN) as (keyof typeof SPAN)[]).find((k) => SPAN[k] === r.field_12)!] = r.id;
    assert.ok(Object.values(ids).every((id) => id !== ''));
    const plain = await t.request('POST', '/api/records/create/', { field_4: 'gpt-4o-mini', field_10: 'customer_no_trace' });
    assert.equal(plain.status, 201);
    assert.equal(plain.body.field_13, null);
    plainId = plain.body.id;

    ({ browser, page } = await openSignedIn(t, problems));
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  test('a record of the trace shows every record of it, nested by parent span, siblings by start, with their labels', async () => {
    await page.goto(`/?record=${ids.plan}`);
    const tree = page.getByRole('tree', { name: /^Trace: 4 records/ });
    await tree.waitFor();
    await page.waitForFunction(() => document.querySelectorAll('#trace-section [role="treeitem"]').length === 4);
    const shown = await rows().evaluateAll((items) =>
      items.map((item) => ({
        id: item.getAttribute('data-id'),
        level: item.getAttribute('aria-level'),
        selected: item.getAttribute('aria-selected'),
        cells: Object.fromEntries([...item.querySelectorAll('[data-col]')].map((c) => [c.getAttribute('data-col'), c.textContent])),
        bar: ['x', 'width'].map((a) => Number(item.querySelector('svg rect.span')?.getAttribute(a))),
      })),
    );
    assert.deepEqual(
      shown.map((r) => [r.id, r.level]),
      [
        [ids.workflow, '1'],
        [ids.plan, '2'],
        [ids.tool, '3'],
        [ids.answer, '2'],
      ],
      'depth first, siblings by start, nested by otel.parent_span_id',
    );
    assert.deepEqual(
      shown.map((r) => r.cells),
      [
        { name: 'answer-question', model: '—', tokens: '—', cost: '—', duration: '4 s' },
        { name: 'chat plan', model: 'gpt-4o-mini', tokens: '120', cost: '$0.0012', duration: '1 s' },
        { name: 'execute_tool get_weather', model: '—', tokens: '—', cost: '—', duration: '200 ms' },
        { name: 'chat answer', model: 'gpt-4o', tokens: '350', cost: '$0.004', duration: '1.5 s' },
      ],
    );
    assert.deepEqual(
      shown.map((r) => r.selected),
      ['false', 'true', 'false', 'false'],
      'the open record is the selected row',
    );
    // Bars on a 0..1000 scale over the trace's 4 s: the answer starts at 2 s and lasts 1.5 s.
    assert.deepEqual(
      shown.map((r) => r.bar),
      [
        [0, 1000],
        [125, 250],
        [250, 50],
        [500, 375],
      ],
    );
    assert.equal(await rows().nth(1).getAttribute('aria-label'), 'chat plan, gpt-4o-mini, 120 tokens, cost $0.0012, 1 s (this record)');
    assert.equal(await page.locator('#trace-section .trace-more').count(), 0, 'no "more" notice for a small trace');
    await shot('trace-waterfall');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('trace-waterfall-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('clicking a row opens that record; Arrow keys and Enter open another from the keyboard', async () => {
    await page.goto(`/?record=${ids.plan}`);
    await page.waitForFunction(() => document.querySelectorAll('#trace-section [role="treeitem"]').length === 4);
    await rows().filter({ hasText: 'chat answer' }).click();
    await page.waitForFunction((id) => new URL(location.href).searchParams.get('record') === id, ids.answer);
    await page.getByRole('heading', { name: `Record ${ids.answer}` }).waitFor();
    await page.locator(`#trace-section [role="treeitem"][data-id="${ids.answer}"][aria-selected="true"]`).waitFor();
    // Opened from the trace: focus lands on the record's row, so the keyboard can go on.
    await page.waitForFunction((id) => document.activeElement?.getAttribute('data-id') === id, ids.answer);
    await page.keyboard.press('ArrowUp');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-id')), ids.tool);
    await page.keyboard.press('Enter');
    await page.waitForFunction((id) => new URL(location.href).searchParams.get('record') === id, ids.tool);
    assert.equal(openId(), ids.tool);
    await page.getByRole('heading', { name: `Record ${ids.tool}` }).waitFor();
    await page.locator('#record-overview').locator('..').getByText('execute_tool get_weather').waitFor();
  });

  test('a record without field_13 has no trace section', async () => {
    await page.goto(`/?record=${plainId}`);
    await page.getByRole('heading', { name: `Record ${plainId}` }).waitFor();
    await page.locator('#record-usage').waitFor();
    assert.equal(await page.locator('#trace-section').count(), 0);
    assert.equal(await page.getByRole('tree').count(), 0);
  });

  test('a trace of more than 1,000 records: the first 1,000 by start, a notice, nesting capped at 32 levels', async () => {
    // A chain of 1,001 records made through /api, each the child of the one before (field_9 carries the parent span).
    const chain = '0123456789abcdef0123456789abcdef';
    const spanId = (i: number) => i.toString(16).padStart(16, '0');
    const body = (i: number) => ({
      field_4: 'gpt-4o-mini',
      field_12: spanId(i),
      field_13: chain,
      field_15: `step ${i}`,
      field_7: 0.5,
      timestamp: new Date(Date.UTC(2026, 1, 1) + i * 1000).toISOString(),
      ...(i > 0 ? { field_9: { 'otel.parent_span_id': spanId(i - 1) } } : {}),
    });
    const first = await t.request('POST', '/api/records/batch/', { records: Array.from({ length: 1000 }, (_, i) => body(i)) });
    assert.equal(first.status, 201);
    const last = await t.request('POST', '/api/records/create/', body(1000));
    assert.equal(last.status, 201);

    await page.goto(`/?record=${first.body.ids[0]}`);
    await page.locator('#trace-section .trace-more').getByText('more than 1,000 records').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('#trace-section [role="treeitem"]').length === 1000);
    const levels = await rows().evaluateAll((items) => items.map((item) => Number(item.getAttribute('aria-level'))));
    assert.deepEqual(levels.slice(0, 3), [1, 2, 3]);
    assert.equal(Math.max(...levels), 32);
    assert.equal(levels[999], 32, 'deeper records are shown at the last level');
    assert.equal(await rows().last().getAttribute('data-id'), first.body.ids[999], 'the first 1,000 by start');
    assert.equal(await page.locator(`#trace-section [data-id="${last.body.id}"]`).count(), 0);
  });

  test('no script errors or CSP violations on the way', () => {
    assert.deepEqual(problems, []);
  });
});
