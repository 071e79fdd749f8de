import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { RECORD_TYPES } from '../src/fields/registry.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { ARTIFACTS, browserSkipReason, eventually, type launchBrowser, openSignedIn } from './helpers/browser.ts';
import { STORE_KINDS } from './helpers/stores.ts';
import { EMBED_TEXT, META, THREAD, TRACE, TURNS, UNPRICED_COUNT, UNPRICED_MODEL, wordsSeed } from './helpers/words-seed.ts';

/**
 * The explorer in the product's words (issue 19), in a real headless chromium against the real server, on each
 * store: labels instead of wire names, folding cards, thread and trace links and the thread view, the preview
 * column, metadata side by side, the phone layout, and the cost sort that sets unpriced calls aside.
 */

const skip = browserSkipReason();

const TYPE_WORDS: Record<string, string> = {
  type_a: 'chat',
  type_b: 'embedding',
  type_c: 'workflow',
  type_d: 'agent',
  type_e: 'task',
  type_f: 'tool',
  type_g: 'function',
  type_h: 'custom',
};

for (const kind of STORE_KINDS) {
  describe(`explorer in people's words (${kind})`, { skip }, () => {
    let t: TestApp;
    let browser: Awaited<ReturnType<typeof launchBrowser>>;
    let page: Page;
    const seeded: any[] = [];
    const problems: string[] = [];

    const api = async (url: string) => {
      const res = await t.request('GET', url);
      assert.equal(res.status, 200, url);
      return res.body;
    };
    const list = (params: Record<string, unknown>) =>
      api(
        `/api/records/list/?${new URLSearchParams(
          Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
        )}`,
      );
    const rowIds = () => page.locator('#rows tr[data-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
    const idsOf = (reply: any) => reply.results.map((r: any) => r.id);
    const urlFilters = () => JSON.parse(new URL(page.url()).searchParams.get('filters') ?? 'null');
    const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `words-${kind}-${name}.png`) });
    const find = (predicate: (r: any) => boolean) => seeded.find(predicate);
    const panel = () => page.getByRole('dialog');

    before(async () => {
      t = await startTestApp(kind);
      for (const body of wordsSeed()) {
        const res = await t.request('POST', '/api/records/create/', body);
        assert.equal(res.status, 201, JSON.stringify(res.body));
        seeded.push(res.body);
      }
      ({ browser, page } = await openSignedIn(t, problems, { viewport: { width: 1440, height: 900 } }));
    });
    after(async () => {
      await browser?.close();
      await t?.close();
    });

    test('record types read as words, with the wire value in the tooltip; the labels come from the registry', async () => {
      const embedding = find((r) => r.field_3 === 'type_b');
      const cell = page.locator(`#rows tr[data-id="${embedding.id}"] td[data-field="field_3"]`);
      assert.equal(await cell.innerText(), 'embedding');
      assert.equal(await cell.getAttribute('title'), 'type_b');
      const types = await page.locator('#rows td[data-field="field_3"]').allInnerTexts();
      assert.ok(types.length > 0 && types.every((x) => !x.startsWith('type_')), types.join());
      assert.match((await page.locator('th[data-field="field_3"]').getAttribute('title')) ?? '', /^field_3 · Record type/);
      assert.equal(await page.locator('th[data-field="field_6"] button').innerText(), 'Cost');

      // Every record type of the registry gets its word from field_3's description, and every field a label.
      const labels = await page.evaluate(async () => {
        const m = await import('/js/labels.js' as string);
        const catalogue = await (
          await fetch('/api/meta/fields', { headers: { authorization: `Bearer ${sessionStorage.getItem('tally.apiKey')}` } })
        ).json();
        return {
          types: Object.fromEntries(m.typeEntries()),
          fromDescription: m.typesFromDescription(catalogue.fields.find((f: any) => f.name === 'field_3').description),
          fields: catalogue.fields.map((f: any) => [f.name, m.fieldLabel(f.name)]),
        };
      });
      assert.deepEqual(Object.keys(labels.fromDescription).sort(), [...RECORD_TYPES].sort());
      assert.deepEqual(labels.fromDescription, TYPE_WORDS);
      assert.deepEqual(labels.types, TYPE_WORDS);
      for (const [name, label] of labels.fields) assert.doesNotMatch(label, /field_|type_|^[a-z_]+$/, `${name} is labelled ${label}`);
    });

    test('filter menus read Cost, Model, Customer…, each with its wire name in a tooltip; a type filter takes words', async () => {
      await page.getByRole('button', { name: 'Add filter' }).click();
      const field = page.getByLabel('Filter 1 field');
      const options = await field
        .locator('option')
        .evaluateAll((os) =>
          os.map((o) => ({ value: (o as HTMLOptionElement).value, text: o.textContent, title: o.getAttribute('title') })),
        );
      const byValue = new Map(options.map((o) => [o.value, o]));
      assert.equal(byValue.get('field_6')?.text, 'Cost');
      assert.equal(byValue.get('field_4')?.text, 'Model');
      assert.equal(byValue.get('field_10')?.text, 'Customer');
      assert.equal(byValue.get('status')?.text, 'Status');
      assert.match(byValue.get('field_6')?.title ?? '', /^field_6 · Cost in US dollars/);
      for (const o of options) {
        assert.doesNotMatch(o.text ?? '', /field_|sub_field|type_/, `option ${o.value} reads ${o.text}`);
        assert.ok(o.title?.startsWith(o.value === '__metadata__' ? 'field_9__<key>' : `${o.value} · `), `${o.value}: ${o.title}`);
      }
      await field.selectOption('field_6');
      assert.match((await field.getAttribute('title')) ?? '', /^field_6 · /, 'the select names the chosen field’s wire name');

      await field.selectOption('field_3');
      await page.getByLabel('Filter 1 value').fill('embedding');
      await page.getByRole('button', { name: 'Apply' }).click();
      await eventually(() => assert.deepEqual(urlFilters(), { field_3: { operator: '', value: ['type_b'] } }));
      const expected = await list({ filters: { field_3: { operator: '', value: ['type_b'] } }, param_d: '-timestamp' });
      assert.equal(expected.count, 1);
      await eventually(async () => assert.deepEqual(await rowIds(), idsOf(expected)));
      await page.reload();
      await eventually(async () => assert.equal(await page.getByLabel('Filter 1 value').inputValue(), 'embedding'));
    });

    test('at 1440×900 the filters and summary start folded, the table shows ≥ 12 rows above the fold, and a choice is kept', async (tc) => {
      await page.getByRole('button', { name: 'Clear all' }).click();
      await eventually(async () => assert.equal((await rowIds()).length, 41));
      // A first visit: no choice stored, a 900 px high screen.
      await page.evaluate(() => localStorage.removeItem('tally.explorer.collapsed'));
      await page.reload();
      await page.locator('#rows tr[data-id]').first().waitFor();
      await page.locator('[data-stat="count"]').getByText('41').waitFor();
      const visibleRows = () =>
        page
          .locator('#rows tr[data-id]')
          .evaluateAll((rows) => rows.filter((r) => r.getBoundingClientRect().bottom <= window.innerHeight).length);
      const folded = await visibleRows();
      assert.equal(await page.locator('#filter-form').isVisible(), false, 'the filters start folded on a 900 px screen');
      assert.equal(await page.locator('#chart').isVisible(), false, 'the summary starts folded on a 900 px screen');
      assert.equal(await page.evaluate(() => localStorage.getItem('tally.explorer.collapsed')), null, 'nothing stored by default');
      await page.getByRole('button', { name: 'Show filters' }).click();
      await page.getByRole('button', { name: 'Show summary' }).click();
      const unfolded = await visibleRows();
      await page.getByRole('button', { name: 'Hide filters' }).click();
      await page.getByRole('button', { name: 'Hide summary' }).click();
      assert.equal(await visibleRows(), folded);
      tc.diagnostic(`rows above the fold at 1440×900: ${unfolded} unfolded, ${folded} folded`);
      assert.ok(folded >= 12, `${folded} rows above the fold when folded (${unfolded} unfolded)`);
      assert.ok(folded > unfolded + 4, `folding gains rows: ${unfolded} → ${folded}`);
      assert.equal(await page.locator('#filter-form').isVisible(), false);
      assert.equal(await page.locator('#chart').isVisible(), false);
      assert.equal(await page.locator('[data-stat="count"]').isVisible(), true, 'the folded summary keeps its numbers');
      assert.equal(await page.locator('#filters-line').innerText(), 'None: every record');
      await shot('folded');

      await page.reload();
      await page.locator('#rows tr[data-id]').first().waitFor();
      // The summary's numbers arrive after the rows: until then the table sits higher (16 rows were seen, not 14).
      await page.locator('[data-stat="count"]').getByText('41').waitFor();
      await eventually(async () => assert.equal(await visibleRows(), folded, 'the folded cards stay folded after a reload'));
      assert.deepEqual(JSON.parse((await page.evaluate(() => localStorage.getItem('tally.explorer.collapsed'))) ?? 'null'), {
        filters: true,
        summary: true,
      });
      await page.goto(`/?${new URLSearchParams({ filters: JSON.stringify({ field_3: { operator: '', value: ['type_b'] } }) })}`);
      await page.locator('#filters-line').getByText('Type equals embedding').waitFor();
      await page.getByRole('button', { name: 'Show filters' }).click();
      await page.getByRole('button', { name: 'Show summary' }).click();
      await page.getByLabel('Filter 1 value').waitFor();
    });

    test('a preview column says what each call was', async () => {
      await page.goto('/');
      const first = find((r) => r.field_11 === THREAD);
      const preview = page.locator(`#rows tr[data-id="${first.id}"] td.preview`);
      assert.equal(await preview.innerText(), `${TURNS[0].user} → ${TURNS[0].answer}`);
      const third = find((r) => r.field_11 === THREAD && r.field_1.includes(TURNS[2].user));
      assert.equal(await page.locator(`#rows tr[data-id="${third.id}"] td.preview .preview-in`).innerText(), TURNS[2].user);
      const embedding = find((r) => r.field_3 === 'type_b');
      assert.equal(await page.locator(`#rows tr[data-id="${embedding.id}"] td.preview`).innerText(), EMBED_TEXT);
      // A long one is cut to its column, whole in its tooltip.
      const long = page.locator(`#rows tr[data-id="${third.id}"] td.preview`);
      assert.equal(await long.getAttribute('title'), `${TURNS[2].user}\n→ ${TURNS[2].answer}`);
      const fit = await long.evaluate((td) => [td.scrollWidth, td.clientWidth, td.closest('table')?.clientWidth ?? 0]);
      assert.ok(fit[0] > fit[1] && fit[1] < fit[2] / 3, `cut to its column: ${fit}`);
      await shot('preview');
    });

    test('metadata keys and values sit side by side in the detail panel', async () => {
      const record = find((r) => r.field_9?.region === 'eu-west');
      await page.locator(`#rows tr[data-id="${record.id}"]`).click();
      const meta = panel().locator('dl.meta');
      await meta.waitFor();
      for (const [key, value] of Object.entries(META)) {
        const dt = meta.locator(`dt[data-key="${key}"]`);
        const dd = meta.locator(`dd[data-key="${key}"]`);
        assert.equal(await dd.innerText(), typeof value === 'string' ? value : JSON.stringify(value));
        // Where the text itself is drawn (a grid cell's box is wider than its text).
        const textBox = (cell: typeof dt) =>
          cell.evaluate((node) => {
            const range = document.createRange();
            range.selectNodeContents(node);
            const r = range.getBoundingClientRect();
            return { x: r.x, y: r.y, right: r.right };
          });
        const [k, v] = [await textBox(dt), await textBox(dd)];
        assert.ok(Math.abs(k.y - v.y) < 4, `${key}: on one line`);
        assert.ok(v.x - k.right < 48, `${key}: its value is next to it (${v.x - k.right} px apart)`);
      }
      await panel().locator('#record-metadata').scrollIntoViewIfNeeded();
      await shot('metadata');
      await page.keyboard.press('Escape');
    });

    test('thread and trace ids are links that filter the table; the thread reads as one conversation, in order', async () => {
      const thread = seeded.filter((r) => r.field_11 === THREAD);
      await page.goto(`/?record=${thread[1].id}`);
      const threadLink = panel().getByRole('link', { name: THREAD, exact: true });
      await threadLink.click();
      await eventually(() => assert.deepEqual(urlFilters(), { field_11: { operator: '', value: [THREAD] } }));
      await panel().waitFor({ state: 'hidden' });
      const filtered = await list({ filters: { field_11: { operator: '', value: [THREAD] } }, param_d: '-timestamp' });
      assert.equal(filtered.count, 3);
      await eventually(async () => assert.deepEqual(await rowIds(), idsOf(filtered)));
      await page.goBack();
      await panel().locator('#record-overview').waitFor();

      await panel().getByRole('link', { name: 'read the thread' }).click();
      await eventually(() => assert.equal(new URL(page.url()).searchParams.get('thread'), THREAD));
      const view = panel().locator('#thread-view[aria-busy="false"]');
      await view.waitFor();
      const byTime = await list({ filters: { field_11: { operator: '', value: [THREAD] } }, param_d: 'timestamp', count: 'false' });
      assert.deepEqual(
        await view.locator('.thread-turn').evaluateAll((items) => items.map((i) => i.getAttribute('data-id'))),
        idsOf(byTime),
        'every record of the thread, by time',
      );
      // One chat: each question and answer once, in order, though every call resent the conversation so far.
      const said = await view.locator('.message').evaluateAll((ms) => ms.map((m) => m.querySelector('.content')?.textContent ?? ''));
      assert.deepEqual(said, ['You are the support assistant of a parcel company.', ...TURNS.flatMap((x) => [x.user, x.answer])]);
      await view.locator('.thread-turn').nth(1).getByText('Resends the 3 messages above, then:').waitFor();
      await view.locator('.thread-turn').nth(2).getByText('Resends the 5 messages above, then:').waitFor();
      await shot('thread');
      await page.emulateMedia({ colorScheme: 'dark' });
      await shot('thread-dark');
      await page.emulateMedia({ colorScheme: 'light' });
      await page.reload(); // the thread view is in the URL
      await panel().locator('#thread-view[aria-busy="false"] .thread-turn').first().waitFor();
      await panel().locator('.thread-turn').nth(2).getByRole('button', { name: 'Open record' }).click();
      await panel().locator('#record-overview').waitFor();
      assert.equal(new URL(page.url()).searchParams.get('record'), byTime.results[2].id);
      await page.goBack();
      await panel().locator('#thread-view .thread-turn').first().waitFor();
      await page.keyboard.press('Escape');
      await panel().waitFor({ state: 'hidden' });
      assert.equal(new URL(page.url()).searchParams.get('thread'), null);

      const traced = find((r) => r.field_13 === TRACE);
      await page.goto(`/?record=${traced.id}`);
      await panel().getByRole('link', { name: TRACE, exact: true }).click();
      await eventually(() => assert.deepEqual(urlFilters(), { field_13: { operator: '', value: [TRACE] } }));
      const trace = await list({ filters: { field_13: { operator: '', value: [TRACE] } }, param_d: '-timestamp' });
      assert.equal(trace.count, 2);
      await eventually(async () => assert.deepEqual(await rowIds(), idsOf(trace)));
    });

    test('sorted by cost, most expensive first: priced calls first, the unpriced set aside behind a note and a link', async () => {
      await page.goto('/');
      // The API itself keeps Django's order: NULL costs first on a descending sort.
      const raw = await list({ param_d: '-field_6', param_c: '5' });
      assert.equal(raw.results[0].field_6, null, 'the API puts unpriced calls first');
      await page.getByRole('button', { name: /^Cost: sort ascending/ }).click();
      await page.getByRole('button', { name: /^Cost: sort descending/ }).click();
      await eventually(() => assert.equal(new URL(page.url()).searchParams.get('param_d'), '-field_6'));
      const priced = await list({ param_d: '-field_6', filters: { field_6: { operator: 'isnull', value: [false] } } });
      assert.equal(priced.count, seeded.length - UNPRICED_COUNT);
      await eventually(async () => assert.deepEqual(await rowIds(), idsOf(priced)));
      assert.equal(await page.locator('#rows tr[data-id]').first().locator('td[data-field="field_6"]').innerText(), '$0.9');
      await page.getByText(`${priced.count} matching with a price`).waitFor();
      const note = page.locator('#unpriced-note');
      await note.getByText(`${UNPRICED_COUNT} calls have no price`).waitFor();
      await shot('cost-sort');
      await note.getByRole('link', { name: 'show them' }).click();
      await eventually(() => assert.deepEqual(urlFilters(), { field_6: { operator: 'isnull', value: [true] } }));
      const unpriced = await list({ filters: { field_6: { operator: 'isnull', value: [true] } }, param_d: '-timestamp' });
      assert.equal(unpriced.count, UNPRICED_COUNT);
      assert.ok(unpriced.results.every((r: any) => r.field_4 === UNPRICED_MODEL));
      await eventually(async () => assert.deepEqual(await rowIds(), idsOf(unpriced)));
      assert.equal(await note.isVisible(), false);
    });

    test('at 390 px the filter row fits the page and its Remove button is visible', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      // Unfolded as the earlier tests leave it, whatever they stored should one of them fail half way.
      await page.evaluate(() => localStorage.setItem('tally.explorer.collapsed', JSON.stringify({ filters: false, summary: false })));
      await page.goto('/');
      await page.getByRole('button', { name: 'Add filter' }).click();
      await page.getByRole('button', { name: 'Add filter' }).click();
      await page.getByLabel('Filter 2 field').selectOption('__metadata__');
      for (const n of [1, 2]) {
        const remove = page.getByRole('button', { name: `Remove filter ${n}` });
        assert.equal(await remove.isVisible(), true);
        const box = await remove.boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `Remove ${n} within the page: ${JSON.stringify(box)}`);
      }
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      const wide = await page.evaluate(() =>
        [...document.querySelectorAll('body *')]
          .filter((e) => e.getBoundingClientRect().right > 390 && e.getClientRects().length > 0)
          .map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}.${e.className}`)
          .slice(0, 5),
      );
      assert.ok(width <= 390, `the page is ${width} px wide: ${wide.join(', ')}`);
      await shot('phone-filters');
      await page.setViewportSize({ width: 1440, height: 900 });
    });

    test('no script errors or CSP violations on the way', () => {
      assert.deepEqual(problems, []);
    });
  });
}
