import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FIELDS } from '../src/fields/registry.ts';
import { OPERATORS } from '../src/query/filters.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';

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
    for (const p of ['/api/records/create/', '/api/records/batch/', '/api/records/list/', '/api/records/{resource_id}/', '/api/records/summary/', '/api/meta/fields']) {
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
});
