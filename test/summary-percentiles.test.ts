import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { Dialect } from '../src/store/sql/dialect.ts';
import { PERCENTILES } from '../src/store/sql/summary.ts';
import { postgresDialect } from '../src/store/postgres/dialect.ts';
import { sqliteDialect } from '../src/store/sqlite/dialect.ts';
import { POSTGRES_AVAILABLE, freshSchemaUrl } from './helpers/stores.ts';

/**
 * Each dialect's percentile statement against a plain sort: the value at 1-based rank ceil(p * n), for every
 * n from 0 to 300, with heavy ties, zeros and rows without a latency mixed in. Exact rationals give the
 * expected rank (0.95 = 19/20), so floating point cannot flatter the statement under test.
 */

const MAX_N = 300;
const RANK: Record<number, (n: number) => number> = { 0.5: (n) => Math.ceil(n / 2), 0.95: (n) => Math.ceil((19 * n) / 20) };

/** A deterministic latency list of n values; every fourth row has none. */
function latencies(n: number): (number | null)[] {
  let seed = n * 7919 + 13;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const values: (number | null)[] = [];
  for (let i = 0; i < n; i++) values.push(Math.floor(next() * 12) * 0.25); // 0, 0.25, ... 2.75: many ties
  for (let i = 0; i < n; i += 4) values.splice(i, 0, null);
  return values;
}

function expected(values: (number | null)[]): (number | null)[] {
  const sorted = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  return PERCENTILES.map((p) => (sorted.length === 0 ? null : sorted[RANK[p](sorted.length) - 1]));
}

/** The statement for one org, run by the engine's driver. */
const statement = (d: Dialect, org: string) => {
  const params: unknown[] = [];
  const sql = d.percentiles(params, 'field_7', PERCENTILES, (p) => `org_id = ${d.param(p, org)}`);
  return { sql, params };
};

const row = (r: Record<string, unknown>) => PERCENTILES.map((_, i) => (r[`p${i}`] === null ? null : Number(r[`p${i}`])));

test('the percentile fractions have exact expected ranks', () => assert.deepEqual(Object.keys(RANK).map(Number), [...PERCENTILES]));

describe('percentiles [sqlite]: SQLite percentile_disc over negated values and a sentinel is nearest rank', () => {
  const db = new Database(':memory:');
  before(() => {
    db.exec('CREATE TABLE records (org_id TEXT NOT NULL, field_7 REAL)');
    const insert = db.prepare('INSERT INTO records (org_id, field_7) VALUES (?, ?)');
    db.transaction(() => {
      for (let n = 0; n <= MAX_N; n++) for (const v of latencies(n)) insert.run(`n${n}`, v);
    })();
  });
  after(() => db.close());

  test(`every n from 0 to ${MAX_N}`, () => {
    for (let n = 0; n <= MAX_N; n++) {
      const s = statement(sqliteDialect, `n${n}`);
      assert.deepEqual(row(db.prepare(s.sql).get(...s.params) as Record<string, unknown>), expected(latencies(n)), `n = ${n}`);
    }
  });

  test('all equal, one value, and latencies of 0 (never -0)', () => {
    db.prepare('INSERT INTO records (org_id, field_7) VALUES (?, ?), (?, ?), (?, ?)').run('same', 1.5, 'same', 1.5, 'zero', 0);
    db.prepare('INSERT INTO records (org_id, field_7) VALUES (?, ?)').run('same', 1.5);
    const get = (org: string) => {
      const s = statement(sqliteDialect, org);
      return row(db.prepare(s.sql).get(...s.params) as Record<string, unknown>);
    };
    assert.deepEqual(get('same'), [1.5, 1.5]);
    const zero = get('zero');
    assert.deepEqual(zero, [0, 0]);
    assert.ok(
      zero.every((v) => Object.is(v, 0)),
      'the negation is undone exactly',
    );
    assert.deepEqual(get('nobody'), [null, null]);
  });
});

describe('percentiles [postgres]: percentile_disc WITHIN GROUP is nearest rank', {
  skip: !POSTGRES_AVAILABLE && 'PostgreSQL not reachable',
}, () => {
  let client: pg.Client;
  before(async () => {
    client = new pg.Client({ connectionString: await freshSchemaUrl(), connectionTimeoutMillis: 5000 });
    await client.connect();
    await client.query('CREATE TABLE records (org_id text NOT NULL, field_7 double precision)');
    const rows: (string | number | null)[] = [];
    for (let n = 0; n <= MAX_N; n++) for (const v of latencies(n)) rows.push(`n${n}`, v);
    for (let i = 0; i < rows.length; i += 2000) {
      const chunk = rows.slice(i, i + 2000);
      const values = Array.from({ length: chunk.length / 2 }, (_, j) => `($${2 * j + 1}, $${2 * j + 2}::float8)`).join(', ');
      await client.query(`INSERT INTO records (org_id, field_7) VALUES ${values}`, chunk);
    }
  });
  after(() => client?.end());

  test(`every n from 0 to ${MAX_N}`, async () => {
    for (let n = 0; n <= MAX_N; n++) {
      const s = statement(postgresDialect, `n${n}`);
      const { rows } = await client.query(s.sql, s.params);
      assert.deepEqual(row(rows[0]), expected(latencies(n)), `n = ${n}`);
    }
  });
});
