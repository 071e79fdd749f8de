import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { POSTGRES_AVAILABLE } from './helpers/stores.ts';

/**
 * The same records in both stores, the same filters and sorts against both: the lists must be identical.
 * This is what keeps the two dialects one semantics (code point order, NULLs under "not", Unicode case
 * folding, float and timestamp text forms, JSON typing of metadata). Each record carries a label in
 * field_15 because ids are generated per store.
 */

const RECORDS: Record<string, unknown>[] = [
  {
    field_1: 'Hello World',
    field_4: 'model-x',
    field_6: 0.5,
    field_7: 1.25,
    field_8: 0.25,
    field_18: 200,
    field_10: 'Alice',
    field_12: 'ref_1',
    timestamp: '2025-01-01T10:00:00Z',
    field_9: { tier: 'gold', n: 5, flag: true, nul: null, nested: { k: 'v', n: 1 } },
  },
  {
    field_1: 'ÉCOLE Straße',
    field_4: 'model-x-mini',
    field_6: 0.00002,
    field_7: 2,
    field_8: 3,
    field_18: 404,
    field_10: 'bob',
    timestamp: '2025-01-01T11:30:00.5Z',
    field_9: { tier: 'silver', n: 12.5, flag: false, s: '1' },
  },
  {
    field_1: 'école [draft] *star* ?q',
    field_4: 'claude-x',
    field_6: 12,
    field_7: 0.5,
    field_18: 500,
    field_10: 'Émile',
    timestamp: '2025-01-02T00:00:00Z',
    field_9: { tier: 'Gold', n: '5', other: 'x', list: ['a', 'b'] },
  },
  {
    field_1: '100% sure_thing \\ back',
    field_4: 'B',
    field_7: 10,
    field_18: 201,
    field_10: 'a',
    timestamp: '2024-12-31T23:59:59Z',
    field_9: {},
  },
  { field_1: 'UPPER lower MiXeD', field_6: 3.5, field_18: 429, field_19: 'rate limited', timestamp: '2025-01-01T10:00:00.123456Z' },
  {
    field_1: 'ß and ς',
    field_11: 'ǆungla ﬁne ᾳ',
    field_4: 'é',
    field_6: 0,
    field_7: 0,
    field_18: 302,
    field_10: 'zed',
    field_12: 'REF_1',
    timestamp: '2025-06-01T00:00:00Z',
    field_9: { tier: 'gold', n: -1, list: [1, 2], nested: { k: ['v'] } },
  },
  {
    field_1: 'emoji 😀 here',
    field_4: 'Zeta',
    field_6: 1e-7,
    field_18: 200,
    timestamp: '2025-03-03T03:03:03.000001Z',
    field_9: { n: 0.00002, big: 1e21, tier: null },
  },
  {
    field_1: null,
    field_6: 123456789.5,
    field_7: 1e9,
    field_18: 599,
    timestamp: '2025-02-28T12:00:00.25Z',
    field_9: { n: 5.0, flag: 'true', tier: 'gold ', 'weird key': 1 },
  },
  {
    field_1: 'abc_def',
    field_6: 1e12,
    field_7: 3,
    field_8: 1,
    field_18: 200,
    field_5: { sub_field_a: 100, sub_field_b: 40 },
    timestamp: '2025-01-01T10:00:00.1Z',
    field_9: { n: 1e-7, t: '2025-01-01', obj: { b: [1, 2], a: 1 } },
  },
  {
    field_1: 'path\\to\\file %',
    field_4: 'a',
    field_6: 2.5,
    field_18: 100,
    field_10: 'É',
    timestamp: '2025-01-01T00:00:00Z',
    field_9: { s: 'école', nested: [{ k: 'v' }], list: 'a' },
  },
];

type Spec = { operator: string; value: unknown[] };
const f = (field: string, operator: string, ...value: unknown[]): Record<string, Spec> => ({ [field]: { operator, value } });

const CONDITIONS: Record<string, Spec>[] = [
  // text columns: code point order, case-sensitive patterns with LIKE/GLOB metacharacters, Unicode icontains
  f('field_4', '', 'model-x'),
  f('field_4', 'not', 'model-x'),
  f('field_4', 'lt', 'a'),
  f('field_4', 'gte', 'claude-x'),
  f('field_4', 'gt', 'z'),
  f('field_4', 'in', 'B', 'é', 'missing', null),
  f('field_4', 'isnull', true),
  f('field_4', 'isnull', false),
  f('field_4', 'startswith', 'model'),
  f('field_4', 'endswith', 'mini'),
  f('field_4', 'contains', 'ODEL'),
  f('field_4', 'icontains', 'ODEL'),
  f('field_10', 'icontains', 'émi'),
  f('field_10', 'lt', 'a'),
  f('field_10', 'lte', 'É'),
  f('field_10', 'not', 'a'),
  f('field_1', 'icontains', 'école'),
  f('field_1', 'icontains', 'STRASSE'),
  f('field_1', 'icontains', 'ς'),
  f('field_1', 'icontains', 'ß'),
  f('field_11', 'icontains', 'Ǆ'),
  f('field_11', 'icontains', 'FI'),
  f('field_11', 'icontains', 'ﬁ'),
  f('field_11', 'icontains', 'ᾳ'),
  f('field_1', 'contains', '%'),
  f('field_1', 'contains', '_'),
  f('field_1', 'contains', '\\'),
  f('field_1', 'contains', '*star*'),
  f('field_1', 'contains', '[draft]'),
  f('field_1', 'startswith', 'école ['),
  f('field_1', 'endswith', '?q'),
  f('field_1', 'contains', ''),
  f('field_1', 'isnull', true),
  f('field_12', '', 'ref_1'),
  f('field_12', 'icontains', 'REF_'),
  f('field_19', '', ''),
  f('status', '', 'error'),
  f('id', 'startswith', 'record_'),
  // float columns: numeric comparison and PostgreSQL's float text (2e-05, 1e+15)
  f('field_6', 'gt', 0.5),
  f('field_6', 'lte', 0),
  f('field_6', '', 0.00002),
  f('field_6', 'not', 12),
  f('field_6', 'in', 0, 3.5, 99),
  f('field_6', 'contains', 'e-0'),
  f('field_6', 'contains', 'e-07'),
  f('field_6', 'contains', '000000000'),
  f('field_6', 'startswith', '12'),
  f('field_6', 'endswith', '.5'),
  f('field_6', 'isnull', true),
  f('field_7', 'gte', 2),
  f('field_7', 'contains', 1),
  f('rate', 'isnull', false),
  // int columns, including fractional values
  f('field_18', '', 200),
  f('field_18', 'lt', 300),
  f('field_18', 'in', 404, 500),
  f('field_18', 'not', 200),
  f('field_18', 'contains', '0'),
  f('field_18', '', 200.5),
  f('field_18', 'gt', 200.5),
  f('field_18', 'endswith', 9),
  f('sub_field_total', 'gte', 100),
  // timestamps: instants, and their text in a UTC session
  f('timestamp', 'gte', '2025-01-01T10:00:00.123456Z'),
  f('timestamp', 'lt', '2025-01-01T00:00:00+01:00'),
  f('timestamp', '', '2025-01-01T10:00:00Z'),
  f('timestamp', 'not', '2025-01-01T10:00:00Z'),
  f('timestamp', 'in', '2025-01-01T10:00:00.1Z', '2025-06-01'),
  f('timestamp', 'contains', '.5+00'),
  f('timestamp', 'contains', '10:00:00'),
  f('timestamp', 'endswith', '.000001+00'),
  f('timestamp', 'startswith', '2024'),
  f('timestamp', 'icontains', ':00+00'),
  f('timestamp', 'isnull', false),
  // metadata: JSON types respected, JSON null present, missing keys, no array indexing, text forms of ->>
  f('field_9__tier', '', 'gold'),
  f('field_9__tier', 'not', 'gold'),
  f('field_9__tier', 'in', 'gold', 'silver'),
  f('field_9__tier', 'icontains', 'GOLD'),
  f('field_9__tier', 'isnull', true),
  f('field_9__tier', 'isnull', false),
  f('field_9__tier', 'gt', 'gold'),
  f('field_9__n', '', 5),
  f('field_9__n', '', '5'),
  f('field_9__n', '', 5.0),
  f('field_9__n', 'not', 5),
  f('field_9__n', 'gt', 1),
  f('field_9__n', 'lt', 0.001),
  f('field_9__n', 'lte', '5'),
  f('field_9__n', 'in', 5, '5', 12.5),
  f('field_9__n', 'contains', '0.0000'),
  f('field_9__n', 'startswith', '-'),
  f('field_9__n', 'endswith', '5'),
  f('field_9__big', 'gt', 1e20),
  f('field_9__big', 'contains', '000000000000000000000'),
  f('field_9__flag', '', true),
  f('field_9__flag', '', false),
  f('field_9__flag', '', 'true'),
  f('field_9__flag', 'in', true, 'true'),
  f('field_9__flag', 'contains', 'ru'),
  f('field_9__flag', 'not', true),
  f('field_9__nul', 'isnull', false),
  f('field_9__nul', 'isnull', true),
  f('field_9__nul', 'contains', 'null'),
  f('field_9__nested__k', '', 'v'),
  f('field_9__nested__k', 'isnull', false),
  f('field_9__nested__n', 'gte', 1),
  f('field_9__list__0', 'isnull', false),
  f('field_9__list', '', 'a'),
  f('field_9__list', 'contains', 'a'),
  f('field_9__list', 'contains', '", "'),
  f('field_9__list', 'contains', '1, 2'),
  f('field_9__obj', 'contains', '{"a": 1, "b": [1, 2]}'),
  f('field_9__obj', '', 1),
  f('field_9__s', 'lt', 'é'),
  f('field_9__s', 'gte', '1'),
  f('field_9__s', 'icontains', 'ÉCO'),
  f('field_9__weird key', '', 1),
  f('field_9__t', 'gte', '2025'),
  f('field_9__absent', 'not', 'x'),
  f('field_9__absent', 'isnull', true),
  // several conditions ANDed
  { ...f('field_18', 'lt', 400), ...f('field_6', 'gt', 0) },
  { ...f('field_9__tier', 'not', 'gold'), ...f('field_4', 'isnull', false), ...f('timestamp', 'gte', '2025-01-01') },
];

const SORTS = [
  'field_4',
  '-field_4',
  'field_10',
  '-field_10',
  'option_2',
  '-option_2',
  'option_3',
  '-option_4',
  'field_18',
  '-rate',
  'status',
];

/** Labels of the matching records, in the order the store returns them. */
async function labels(t: TestApp, body: Record<string, unknown>): Promise<string[]> {
  const res = await t.request('POST', '/api/records/list/?param_c=1000', body);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return (res.body.results as { field_15: string }[]).map((r) => r.field_15);
}

describe('dialect parity: SQLite and PostgreSQL return the same records', {
  skip: POSTGRES_AVAILABLE ? false : 'PostgreSQL is not reachable',
}, () => {
  let sqlite: TestApp;
  let postgres: TestApp;
  before(async () => {
    [sqlite, postgres] = await Promise.all([startTestApp('sqlite'), startTestApp('postgres')]);
    for (const [i, record] of RECORDS.entries()) {
      for (const t of [sqlite, postgres]) {
        const res = await t.request('POST', '/api/records/create/', { ...record, field_15: `r${String(i).padStart(2, '0')}` });
        assert.equal(res.status, 201, JSON.stringify(res.body));
      }
    }
  });
  after(async () => {
    await Promise.all([sqlite?.close(), postgres?.close()]);
  });

  test('every filter selects the same records on both stores', async () => {
    const sizes: number[] = [];
    for (const filters of CONDITIONS) {
      const [a, b] = await Promise.all([labels(sqlite, { filters }), labels(postgres, { filters })]);
      assert.deepEqual(b.sort(), a.sort(), `filters ${JSON.stringify(filters)}`);
      sizes.push(a.length);
    }
    // Parity of empty answers would prove nothing: most conditions must select some records, but not all.
    const discriminating = sizes.filter((n) => n > 0 && n < RECORDS.length).length;
    assert.ok(
      discriminating >= CONDITIONS.length * 0.75,
      `only ${discriminating} of ${CONDITIONS.length} conditions select a proper subset`,
    );
  });

  test('every sort orders the records the same way on both stores', async () => {
    for (const sort of SORTS) {
      const body = { param_d: sort };
      assert.deepEqual(await labels(postgres, body), await labels(sqlite, body), `param_d=${sort}`);
    }
  });

  test('records read back identically', async () => {
    const [a, b] = await Promise.all([
      sqlite.request('GET', '/api/records/list/?param_c=1000'),
      postgres.request('GET', '/api/records/list/?param_c=1000'),
    ]);
    const strip = (r: Record<string, unknown>) => {
      const { id: _id, unique_id: _u, ...rest } = r;
      return rest;
    };
    assert.deepEqual(b.body.results.map(strip), a.body.results.map(strip));
  });
});
