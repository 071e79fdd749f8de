import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createKey } from '../src/bootstrap.ts';
import { deriveRecord } from '../src/records/derive.ts';
import { COLUMN_INDEX, encodeRecord } from '../src/store/encoded-record.ts';
import { createInserter } from '../src/store/sqlite/insert.ts';
import { openSqlite } from '../src/store/sqlite/open.ts';
import { startTestApp, TEST_ORG, type TestApp } from './helpers/app.ts';
import { STORE_KINDS } from './helpers/stores.ts';

/**
 * A lone top-level metadata equality or "in" is counted from per-value counters on SQLite (meta_value_counts,
 * kept by the insert transaction). Whatever the store does, the count must be the number of the org's records
 * whose metadata holds the key with an equal JSON scalar: same JSON type, numbers by value (1 = 1.0), the string
 * "1" never the number 1, true never 1, objects and arrays never equal to a scalar; equality with null matches
 * JSON null, while null in an "in" list matches nothing (as in Django, NULL is never IN anything).
 */

const KEYS = ['env', 'n', 'flag', 'mixed'];
// Raw JSON texts, so that 1.0 and -0 reach the server as written.
const VALUES = [
  '"a"',
  '"b"',
  '"1"',
  '""',
  '"1e3"',
  '1',
  '1.0',
  '2.5',
  '2.50',
  '-0',
  '0',
  '1e3',
  '1000',
  '-1E-2',
  'true',
  'false',
  'null',
  '{"x":1}',
  '[1]',
];
const orgs = [TEST_ORG, 'org_meta_b', 'org_meta_c'];

type Stored = { org: string; meta: Record<string, unknown> | null };

const sameScalar = (a: unknown, b: unknown) =>
  a !== null && typeof a === 'object' ? false : typeof a === typeof b && (a === b || (typeof a === 'number' && a === b));
const matches = (meta: Record<string, unknown> | null, key: string, wanted: unknown[]) =>
  meta !== null && key in meta && wanted.some((w) => sameScalar(meta[key], w));

type Generated = { org: string; entries: [string, string][]; hasMeta: boolean };

const recordArb: fc.Arbitrary<Generated> = fc.record({
  org: fc.constantFrom(...orgs),
  entries: fc.uniqueArray(fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES)), { selector: ([k]) => k, maxLength: 4 }),
  hasMeta: fc.boolean(),
});

for (const kind of STORE_KINDS) {
  describe(`counted metadata equality and "in" [${kind}]`, () => {
    let t: TestApp;
    const keys = new Map<string, string>();
    const stored: Stored[] = [];
    before(async () => {
      t = await startTestApp(kind);
      keys.set(TEST_ORG, t.key);
      for (const org of orgs.slice(1)) keys.set(org, await createKey(t.store, org));
    });
    after(() => t.close());

    const as = (org: string) => ({ authorization: `Bearer ${keys.get(org)}` });

    /** Sends records in batches, one batch per org; a batch with a bad item is rejected whole and counts nothing. */
    async function insert(records: Generated[], withBadItem: boolean) {
      for (const org of orgs) {
        const mine = records.filter((r) => r.org === org);
        if (mine.length === 0) continue;
        const items = mine.map((r) =>
          r.hasMeta ? `{"field_2":"x","field_9":{${r.entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}}` : '{"field_2":"x"}',
        );
        if (withBadItem) items.push('{"field_6":"not a cost"}');
        const res = await t.request('POST', '/api/records/batch/', `{"records":[${items.join(',')}]}`, as(org));
        assert.equal(res.status, withBadItem ? 400 : 201, JSON.stringify(res.body).slice(0, 300));
        if (!withBadItem)
          for (const r of mine)
            stored.push({ org, meta: r.hasMeta ? Object.fromEntries(r.entries.map(([k, v]) => [k, JSON.parse(v)])) : null });
      }
    }

    async function checkQueries(runs: number) {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...orgs),
          fc.constantFrom(...KEYS),
          fc.array(fc.constantFrom(...VALUES.filter((v) => !/^[[{]/.test(v))), { maxLength: 5 }),
          fc.boolean(),
          async (org, key, raw, single) => {
            const wanted = raw.map((v) => JSON.parse(v));
            const useEq = single && wanted.length > 0;
            const filters = `{"field_9__${key}":{"operator":"${useEq ? '' : 'in'}","value":[${(useEq ? raw.slice(0, 1) : raw).join(',')}]}}`;
            const res = await t.request('GET', `/api/records/list/?param_c=1&filters=${encodeURIComponent(filters)}`, undefined, as(org));
            assert.equal(res.status, 200, JSON.stringify(res.body));
            const expected = stored.filter(
              (s) => s.org === org && matches(s.meta, key, useEq ? wanted.slice(0, 1) : wanted.filter((w) => w !== null)),
            ).length;
            assert.equal(res.body.count, expected, `${org} ${filters}`);
          },
        ),
        { numRuns: runs, seed: 20261128 },
      );
    }

    test('counts equal the records that match, across orgs, types, 1 vs 1.0, null, and after a rejected batch', async () => {
      await insert(fc.sample(recordArb, { numRuns: 400, seed: 1 }), false);
      await insert(fc.sample(recordArb, { numRuns: 60, seed: 2 }), true); // rejected: must count nothing
      await checkQueries(150);
      await insert(fc.sample(recordArb, { numRuns: 300, seed: 3 }), false); // counters added to, not rebuilt
      await checkQueries(150);
    });

    test('a metadata string longer than an index key can hold is stored and counted', async () => {
      // 6,400 bytes that do not compress (PostgreSQL compresses a long index key before it measures it).
      const long = Array.from({ length: 200 }, (_, i) => createHash('md5').update(String(i)).digest('hex')).join('');
      assert.equal(
        (await t.request('POST', '/api/records/batch/', { records: [{ field_9: { long } }, { field_9: { long: `${long}!` } }] })).status,
        201,
      );
      const filters = encodeURIComponent(JSON.stringify({ field_9__long: { operator: 'in', value: [long, 'short'] } }));
      assert.equal((await t.request('GET', `/api/records/list/?param_c=1&filters=${filters}`)).body.count, 1);
      stored.push({ org: TEST_ORG, meta: { long } }, { org: TEST_ORG, meta: { long: `${long}!` } });
    });

    if (kind === 'sqlite') {
      test('the counters equal a count of record_meta for every value held twice or more, as migrations 4 and 5 leave them', () => {
        const db = new Database(path.join(t.dataDir, 'tally.db'), { readonly: true });
        try {
          // A counter row keeps the first spelling of its value (-0 or 0, 1 or 1.0): the same key either way.
          const same = (rows: unknown[]) => (rows as { v: unknown }[]).map((r) => ({ ...r, v: r.v === 0 ? 0 : r.v }));
          const kept = same(db.prepare('SELECT org_id, k, t, v, n FROM meta_value_counts ORDER BY org_id, k, t, v').all());
          const counted = same(
            db
              .prepare(
                'SELECT org_id, k, t, v, count(*) AS n FROM record_meta GROUP BY org_id, k, t, v HAVING count(*) >= 2 ORDER BY org_id, k, t, v',
              )
              .all(),
          );
          assert.ok(kept.length > 20);
          assert.deepEqual(kept, counted);
        } finally {
          db.close();
        }
      });
    }
  });
}

// Many values, most held by one or two records, some by more, arriving in small batches: values cross from "held
// once" (counted from record_meta on SQLite) to "held twice" (a counter row) within a batch and across batches.
const POOL = [
  ...Array.from({ length: 40 }, (_, i) => String(i)),
  '3.0',
  '7.0',
  '-0',
  ...Array.from({ length: 40 }, (_, i) => `"${i}"`),
  'true',
  'false',
  'null',
];

for (const kind of STORE_KINDS) {
  describe(`counted metadata "in" over values held once, twice or more [${kind}]`, () => {
    test('counts equal the records that match while values gain records batch by batch', async () => {
      const t = await startTestApp(kind);
      after(() => t.close());
      const stored: unknown[] = [];
      const batches = fc.sample(fc.array(fc.constantFrom(...POOL), { minLength: 1, maxLength: 6 }), { numRuns: 60, seed: 5 });
      const query = fc.array(fc.constantFrom(...POOL.filter((v) => v !== 'null')), { minLength: 1, maxLength: 6 });
      for (const [i, batch] of batches.entries()) {
        const body = `{"records":[${batch.map((v) => `{"field_9":{"rid":${v}}}`).join(',')}]}`;
        assert.equal((await t.request('POST', '/api/records/batch/', body)).status, 201);
        stored.push(...batch.map((v) => JSON.parse(v)));
        if (i % 10 !== 9) continue;
        for (const raw of fc.sample(query, { numRuns: 15, seed: i })) {
          const filters = `{"field_9__rid":{"operator":"in","value":[${raw.join(',')}]}}`;
          const res = await t.request('GET', `/api/records/list/?param_c=1&filters=${encodeURIComponent(filters)}`);
          assert.equal(res.status, 200, JSON.stringify(res.body));
          const wanted = raw.map((v) => JSON.parse(v));
          assert.equal(res.body.count, stored.filter((s) => wanted.some((w) => sameScalar(s, w))).length, filters);
        }
      }
    });
  });
}

describe('migrations 4 and 5 backfill the per-value counts of an existing file [sqlite]', () => {
  test('a file written before the counters gets the same counts as one written with them', async () => {
    const t = await startTestApp('sqlite');
    const records = fc.sample(recordArb, { numRuns: 300, seed: 4 }).filter((r) => r.hasMeta);
    const items = records.map((r) => `{"field_9":{${r.entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}}`);
    assert.equal((await t.request('POST', '/api/records/batch/', `{"records":[${items.join(',')}]}`)).status, 201);
    after(() => t.close());
    const file = path.join(t.dataDir, 'tally.db');
    const read = (db: Database.Database) => db.prepare('SELECT org_id, k, t, v, n FROM meta_value_counts ORDER BY org_id, k, t, v').all();
    let db = new Database(file);
    const kept = read(db);
    assert.ok(kept.length > 10);
    // Back to the schema before migration 4: no counters.
    db.exec('DROP TABLE meta_value_counts; DELETE FROM schema_migrations WHERE version IN (4, 5)');
    db.close();
    db = openSqlite(file); // migrates
    try {
      assert.deepEqual(
        read(db).map((r: any) => ({ ...r, v: r.v === 0 ? 0 : r.v })),
        kept.map((r: any) => ({ ...r, v: r.v === 0 ? 0 : r.v })),
      );
    } finally {
      db.close();
    }
  });
});

describe('a store transaction that fails counts nothing [sqlite]', () => {
  // A rejected batch (above) never reaches the store: validation refuses it first. Here the failure happens inside
  // the insert transaction itself, after records, record_meta rows and (for the trigger) some counter upserts.
  const snapshot = (db: Database.Database) => ({
    counts: db.prepare('SELECT org_id, k, t, v, n FROM meta_value_counts ORDER BY org_id, k, t, v').all(),
    meta: db.prepare('SELECT count(*) AS n FROM record_meta').get(),
    records: db.prepare('SELECT org_id, count(*) AS n FROM records GROUP BY org_id ORDER BY org_id').all(),
    perOrg: db.prepare('SELECT org_id, n FROM org_record_counts ORDER BY org_id').all(),
  });
  const make = (org: string, metadata: Record<string, unknown>) => encodeRecord(deriveRecord({ field_2: 'x', field_9: metadata }, org));

  test('a refused row, or a failing counter upsert, rolls back every count of the batch; a held id counts nothing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-meta-rollback-'));
    const db = openSqlite(path.join(dir, 'tally.db'));
    try {
      const insert = createInserter(db);
      const first = [make('org_a', { env: 'prod', n: 1 }), make('org_a', { env: 'prod', n: 1.0 }), make('org_a', { env: 'dev' })];
      first.push(make('org_b', { env: 'prod', flag: true }), make('org_b', { env: 'prod', flag: true }));
      insert(first);
      const before = snapshot(db);
      assert.equal((before.counts as unknown[]).length, 4); // org_a env prod, org_a n 1, org_b env prod, org_b flag true

      // The last record has no field_3 (NOT NULL): the records table refuses it mid-batch.
      const refused = make('org_a', { env: 'prod' });
      refused.values[COLUMN_INDEX.get('field_3')!] = null;
      assert.throws(() => insert([make('org_a', { env: 'prod', n: 2 }), make('org_b', { env: 'new' }), refused]), /NOT NULL/);
      assert.deepEqual(snapshot(db), before);

      // A record whose (org, id) is already stored (an OTLP span sent again) is skipped, and counts nothing.
      const again = make('org_a', { env: 'prod' });
      again.values[COLUMN_INDEX.get('id')!] = first[0].values[COLUMN_INDEX.get('id')!];
      insert([again, again]);
      assert.deepEqual(snapshot(db), before);

      // A counter write that fails after others of the same transaction have run (every existing row is added to
      // before any row is created, and 'boom', held twice, gets a new row): the writes before it are rolled back
      // with the rows.
      db.exec("CREATE TRIGGER boom BEFORE INSERT ON meta_value_counts WHEN NEW.k = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END");
      const batch = [
        make('org_a', { env: 'prod', n: 1 }),
        make('org_a', { env: 'staging', n: '1' }),
        make('org_a', { env: 'prod', boom: null }),
        make('org_a', { boom: null }),
      ];
      assert.throws(() => insert(batch), /boom/);
      assert.deepEqual(snapshot(db), before);

      db.exec('DROP TRIGGER boom');
      insert(batch);
      const later = snapshot(db);
      assert.notDeepEqual(later.counts, before.counts);
      const counted = db
        .prepare(
          'SELECT org_id, k, t, v, count(*) AS n FROM record_meta GROUP BY org_id, k, t, v HAVING count(*) >= 2 ORDER BY org_id, k, t, v',
        )
        .all();
      assert.deepEqual(later.counts, counted);
    } finally {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
