import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FIELDS, SORT_OPTIONS, isFilterable, isSortable, registryProblems, type FieldDef } from '../src/fields/registry.ts';
import { deriveRecord } from '../src/records/derive.ts';
import { TEST_ORG, startTestApp, type TestApp } from './helpers/app.ts';
import { STORE_KINDS } from './helpers/stores.ts';

/**
 * "Adding a field is one edit": whatever the registry says about a field, every module that serves it says the
 * same. The expectations are read from the registry, so a field added there is checked here without an edit.
 */

const names = (fields: readonly FieldDef[]) => fields.map((f) => f.name);
/** Every name the registry declares (aliases too), and names that are not fields: a column, a member of field_5, none. */
const CANDIDATES = [...FIELDS.flatMap((f) => [f.name, ...(f.aliases ?? [])]), 'ts', 'sub_field_c', 'field_99'];
const FILTERABLE = names(FIELDS.filter(isFilterable));
const SORTABLE = names(FIELDS.filter(isSortable));
const RETURNED = names(FIELDS.filter((f) => f.output));

/** The record keys the registry implies: each stored column once, and each field rebuilt on read. */
const RECORD_KEYS = [
  ...new Set(FIELDS.flatMap((f) => ('column' in f.storage ? [f.storage.column] : f.storage.kind === 'derived' ? [f.name] : []))),
].sort();

for (const kind of STORE_KINDS) {
  describe(`the registry drives every module [${kind}]`, () => {
    let t: TestApp;
    let doc: any;
    let catalogue: any;
    before(async () => {
      t = await startTestApp(kind);
      await t.create({ field_1: 'hello', field_4: 'gpt-4o-mini' });
      doc = (await t.request('GET', '/openapi.json')).body;
      catalogue = (await t.request('GET', '/api/meta/fields')).body;
    });
    after(() => t.close());

    test('every filterable field, and nothing else, is accepted by the filter parser, listed by /api/meta/fields and named in the OpenAPI document', async () => {
      for (const name of CANDIDATES) {
        const res = await t.request('POST', '/api/records/list/', { filters: { [name]: { operator: 'isnull', value: [true] } } });
        if (FILTERABLE.includes(name)) assert.equal(res.status, 200, `${name} filters: ${JSON.stringify(res.body)}`);
        else assert.equal(res.body.error?.code, 'unknown_filter_field', `${name} is refused as a filter`);
      }
      assert.deepEqual(
        catalogue.fields.filter((f: any) => f.filterable).map((f: any) => f.name),
        FILTERABLE,
      );
      const keys = /^Keys: (.*?), or `/.exec(doc.components.schemas.Filters.description);
      assert.ok(keys, doc.components.schemas.Filters.description);
      assert.deepEqual(keys[1].split(', '), FILTERABLE);
    });

    test('every sortable field, and nothing else, is accepted by param_d both ways, listed by /api/meta/fields and in the OpenAPI enum', async () => {
      for (const name of [...CANDIDATES, ...Object.keys(SORT_OPTIONS)]) {
        for (const sort of [name, `-${name}`]) {
          const res = await t.request('GET', `/api/records/list/?param_d=${sort}`);
          if (SORTABLE.includes(name) || name in SORT_OPTIONS)
            assert.equal(res.status, 200, `param_d=${sort}: ${JSON.stringify(res.body)}`);
          else assert.equal(res.body.error?.code, 'invalid_query_parameter', `param_d=${sort} is refused`);
        }
      }
      assert.deepEqual(
        catalogue.fields.filter((f: any) => f.sortable).map((f: any) => f.name),
        SORTABLE,
      );
      assert.deepEqual(catalogue.sort_options, SORT_OPTIONS);
      const paramD = doc.paths['/api/records/list/'].get.parameters.find((p: any) => p.name === 'param_d');
      assert.deepEqual(
        paramD.schema.enum,
        [...Object.keys(SORT_OPTIONS), ...SORTABLE].flatMap((s) => [s, `-${s}`]),
      );
      for (const [option, field] of Object.entries(SORT_OPTIONS))
        assert.ok(paramD.description.includes(`${option} ${field}`), paramD.description);
    });

    test('every field with an output is in the OpenAPI record, the create reply, a record read back and a list, in registry order; every input in the create schema', async () => {
      const created = await t.create({ field_2: 'world' });
      const got = await t.request('GET', `/api/records/${created.id}/`);
      const listed = await t.request('GET', '/api/records/list/?param_c=1');
      for (const [what, record] of [
        ['create', created],
        ['get', got.body],
        ['list', listed.body.results[0]],
      ]) {
        assert.deepEqual(Object.keys(record), RETURNED, what);
      }
      assert.deepEqual(Object.keys(doc.components.schemas.Record.properties), RETURNED);
      assert.deepEqual(
        Object.keys(doc.components.schemas.CreateRecord.properties),
        FIELDS.filter((f) => f.input).flatMap((f) => [f.name, ...(f.aliases ?? [])]),
      );
      const stored = await t.store.get(TEST_ORG, created.id);
      assert.deepEqual(Object.keys(stored!).sort(), RECORD_KEYS, 'the store reads back every key of the record type');
    });
  });
}

describe('the registry', () => {
  test('records/derive.ts gives a record every key the registry implies, and only those', () => {
    assert.deepEqual(Object.keys(deriveRecord({}, TEST_ORG)).sort(), RECORD_KEYS);
    assert.deepEqual(Object.keys(deriveRecord({ field_7_old: 1, field_21: { option_a: false } }, TEST_ORG)).sort(), RECORD_KEYS);
  });

  test('the real registry is consistent', () => {
    assert.deepEqual(registryProblems(FIELDS, SORT_OPTIONS), []);
  });

  test('it refuses a declaration that its readers could not honour, naming the field', () => {
    const change = (name: string, patch: Partial<FieldDef>) => FIELDS.map((f) => (f.name === name ? { ...f, ...patch } : f));
    const cases: [string, readonly FieldDef[], Record<string, string>, RegExp][] = [
      ['a JSON field marked filterable', change('field_9', { filterable: true }), SORT_OPTIONS, /^field_9: filterable/],
      ['a body marked sortable', change('field_1', { sortable: true }), SORT_OPTIONS, /^field_1: sortable/],
      ['a filterable text without its ScalarKind', change('field_19', { scalar: undefined }), SORT_OPTIONS, /^field_19: filterable/],
      ['two metadata fields', change('field_20', { metadata: true }), SORT_OPTIONS, /exactly one field is the metadata field/],
      [
        'a metadata field that is not JSON',
        FIELDS.map((f) => (f.name === 'field_9' ? { ...f, metadata: false } : f.name === 'field_19' ? { ...f, metadata: true } : f)),
        SORT_OPTIONS,
        /^field_19: the metadata field must be stored as json/,
      ],
      [
        'a composed member without a column',
        change('field_5', { storage: { kind: 'composed', members: { sub_field_a: 'sub_field_zz' } } }),
        SORT_OPTIONS,
        /^field_5\.sub_field_a: composed from sub_field_zz/,
      ],
      [
        'a never-null field sent without a default',
        change('field_18', { default: undefined }),
        SORT_OPTIONS,
        /^field_18: .*needs a default/,
      ],
      ['a default on a computed field', change('rate', { default: 0 }), SORT_OPTIONS, /^rate: a default is for/],
      [
        'a stored field that nothing fills',
        change('status', { computed: false }),
        SORT_OPTIONS,
        /^status: stored, but neither sent nor computed/,
      ],
      ['an alias that is another field', change('field_8', { aliases: ['field_7'] }), SORT_OPTIONS, /^field_7: declared twice/],
      [
        'a sort option naming a body',
        FIELDS,
        { ...SORT_OPTIONS, option_5: 'field_1' },
        /^param_d's option_5: field_1 is not a sortable field/,
      ],
    ];
    for (const [what, fields, options, expected] of cases) {
      const problems = registryProblems(fields, options);
      assert.equal(problems.length, 1, `${what}: ${problems.join('; ')}`);
      assert.match(problems[0], expected, what);
    }
  });
});
