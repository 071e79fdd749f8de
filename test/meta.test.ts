import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FIELDS } from '../src/fields/registry.ts';
import { OPERATORS } from '../src/query/filters.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { STORE_KINDS } from './helpers/stores.ts';

for (const kind of STORE_KINDS) {
  describe(`GET /api/meta/fields [${kind}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(() => t.close());

    test('lists the registry’s filterable and sortable fields, the operators and the metadata prefix', async () => {
      const res = await t.request('GET', '/api/meta/fields');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.operators, [...OPERATORS]);
      assert.equal(res.body.metadata_prefix, 'field_9__');
      assert.equal(res.body.max_page_size, 1000);
      const byName = new Map(res.body.fields.map((f: any) => [f.name, f]));
      assert.deepEqual(
        [...byName.keys()],
        FIELDS.filter((f) => f.filterable || f.sortable).map((f) => f.name),
      );
      assert.deepEqual(byName.get('field_6'), {
        name: 'field_6',
        description: FIELDS.find((f) => f.name === 'field_6')!.description,
        kind: 'float',
        filterable: true,
        sortable: true,
      });
      assert.equal((byName.get('field_1') as any).sortable, false, 'bodies filter but do not sort');
      assert.deepEqual((byName.get('field_3') as any).values, [
        'type_a',
        'type_b',
        'type_c',
        'type_d',
        'type_e',
        'type_f',
        'type_g',
        'type_h',
      ]);
      assert.deepEqual((byName.get('status') as any).values, ['success', 'error']);
      assert.equal(byName.has('field_9'), false, 'metadata is filtered through the prefix, not by itself');
    });

    test('needs a key', async () => {
      const res = await t.request('GET', '/api/meta/fields', undefined, { authorization: '' });
      assert.equal(res.status, 401);
    });
  });
}
