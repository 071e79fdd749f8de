import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { INDEXED_COLUMNS } from '../src/fields/registry.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { sqlOnStore } from './helpers/store-sql.ts';
import { STORE_KINDS } from './helpers/stores.ts';

/**
 * The registry's `indexed` (src/fields/registry.ts) tells the list planners which columns an index leads with after
 * org_id; the indexes themselves are made by each store's migrations. This test holds the two together on both
 * stores: every column the registry calls indexed has such an index, and every such index is on a column the
 * registry calls indexed (so a new index is declared where the planners can use it).
 */

const SQLITE_INDEXES = `SELECT il.name AS name, group_concat(ii.name, ',') AS cols
  FROM pragma_index_list('records') il, pragma_index_info(il.name) ii GROUP BY il.name`;
const POSTGRES_INDEXES = `SELECT i.relname AS name, string_agg(a.attname, ',' ORDER BY k.n) AS cols
  FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
  CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
  JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
  WHERE x.indrelid = 'records'::regclass GROUP BY i.relname`;

for (const kind of STORE_KINDS) {
  describe(`indexes agree with the registry [${kind}]`, () => {
    let t: TestApp;
    let indexes: { name: string; cols: string[] }[];
    before(async () => {
      t = await startTestApp(kind);
      const rows = await sqlOnStore(t, { sqlite: '', postgres: '' }, kind === 'sqlite' ? SQLITE_INDEXES : POSTGRES_INDEXES);
      indexes = rows.map((r) => ({ name: r.name as string, cols: (r.cols as string).split(',') }));
      assert.ok(indexes.length >= INDEXED_COLUMNS.size, JSON.stringify(indexes));
    });
    after(() => t.close());

    for (const column of INDEXED_COLUMNS.keys()) {
      test(`${column} has an index on (org_id, ${column})`, () => {
        const found = indexes.filter((i) => i.cols[0] === 'org_id' && i.cols[1] === column);
        assert.ok(found.length > 0, `no index leads with (org_id, ${column}): ${JSON.stringify(indexes)}`);
      });
    }

    test('every index after org_id is on a column the registry calls indexed', () => {
      const undeclared = indexes.filter((i) => i.cols[0] === 'org_id' && i.cols.length > 1 && !INDEXED_COLUMNS.has(i.cols[1]));
      assert.deepEqual(undeclared, []);
    });
  });
}
