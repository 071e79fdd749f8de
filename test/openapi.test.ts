import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FIELDS } from '../src/fields/registry.ts';
import { OPERATORS } from '../src/query/filters.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { browserSkipReason, launchBrowser } from './helpers/browser.ts';

/** Every description and summary in the document, with where it is. */
function prose(node: unknown, where = '$'): [string, string][] {
  if (Array.isArray(node)) return node.flatMap((v, i) => prose(v, `${where}[${i}]`));
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([k, v]) =>
    (k === 'description' || k === 'summary') && typeof v === 'string'
      ? [[`${where}.${k}`, v] as [string, string]]
      : prose(v, `${where}.${k}`),
  );
}

describe('OpenAPI document and reference page', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  test('/openapi.json is an OpenAPI 3 document derived from the registry', async () => {
    const res = await t.request('GET', '/openapi.json', undefined, { authorization: '' });
    assert.equal(res.status, 200);
    const doc = res.body;
    assert.match(doc.openapi, /^3\./);
    for (const p of [
      '/api/records/create/',
      '/api/records/batch/',
      '/api/records/list/',
      '/api/records/{resource_id}/',
      '/api/records/summary/',
      '/api/records/analytics/',
      '/api/meta/fields',
    ]) {
      assert.ok(doc.paths[p], `documents ${p}`);
    }
    const create = doc.components.schemas.CreateRecord;
    assert.equal(create.additionalProperties, false);
    for (const f of FIELDS.filter((f) => f.input)) assert.ok(create.properties[f.name], `create documents ${f.name}`);
    assert.ok(create.properties.field_7_old, 'the alias is documented');
    const record = doc.components.schemas.Record;
    for (const f of FIELDS.filter((f) => f.output)) assert.ok(record.properties[f.name], `record documents ${f.name}`);
    assert.deepEqual(doc.components.schemas.Filters.additionalProperties.properties.operator.enum, [...OPERATORS]);
    const params = doc.paths['/api/records/list/'].post.parameters.map((p: { name: string }) => p.name);
    assert.deepEqual(params, ['param_a', 'param_b', 'param_c', 'param_d', 'count']);
  });

  test('/docs serves a readable reference page from local assets', async () => {
    const res = await t.app.http.inject({ method: 'GET', url: '/docs/' });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /text\/html/);
    assert.match(res.body, /swagger-ui/i);
    assert.doesNotMatch(res.body, /https?:\/\/(?!127\.0\.0\.1|localhost)[a-z0-9.-]+\/[^"']*\.(js|css)/i, 'no CDN assets');
  });

  test('placeholders such as <key> survive in the reference: every one in the prose is in a code span, never bare HTML', async () => {
    const doc = (await t.request('GET', '/openapi.json', undefined, { authorization: '' })).body;
    const texts = prose(doc);
    assert.ok(
      texts.some(([, text]) => text.includes('`Authorization: Bearer <key>`')),
      'the auth line is in a code span',
    );
    for (const [where, text] of texts) {
      const outsideCode = text.replace(/`[^`]*`/g, '');
      assert.doesNotMatch(outsideCode, /<[A-Za-z/!]/, `${where}: markdown would read "<..." as HTML and drop it`);
    }
  });
});

describe('the reference page in a browser', { skip: browserSkipReason() }, () => {
  let t: TestApp;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  before(async () => {
    t = await startTestApp();
    browser = await launchBrowser(await t.app.http.listen({ host: '127.0.0.1', port: 0 }));
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  test('/docs shows "Authorization: Bearer <key>", the placeholder included', async () => {
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await page.goto('/docs/');
    const info = page.locator('.info .description');
    await info.waitFor();
    assert.match(await info.innerText(), /Authorization: Bearer <key>/);
    await page.locator('.opblock-summary-path', { hasText: '/api/records/batch/' }).first().click();
    const batch = page.locator('.opblock-description-wrapper').first();
    await batch.waitFor();
    assert.match(await batch.innerText(), /records\.<index>\.<field>/);
  });
});
