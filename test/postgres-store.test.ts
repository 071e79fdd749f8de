import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import pino from 'pino';
import { ConfigError, loadConfig } from '../src/config.ts';
import { validateCreateBody } from '../src/fields/validate.ts';
import { parseFilters } from '../src/query/filters.ts';
import { pgFloatText, pgJsonText, pgTimestampText, simpleUpper } from '../src/store/sqlite/pg-text.ts';
import { deriveRecord } from '../src/records/derive.ts';
import type { RecordData } from '../src/model/record.ts';
import { encodeRecord } from '../src/store/encoded-record.ts';
import { RECORD_COLUMNS } from '../src/store/columns.ts';
import { createStore } from '../src/store/factory.ts';
import { postgresDialect } from '../src/store/postgres/dialect.ts';
import { POSTGRES_MIGRATIONS } from '../src/store/postgres/migrations.ts';
import { connectionConfig } from '../src/store/postgres/pool.ts';
import { otherRowsSql } from '../src/store/sql/analytics.ts';
import { postgresAnalyticsDialect } from '../src/store/postgres/analytics.ts';
import { parseAnalyticsParams } from '../src/query/analytics-params.ts';
import { whereSql } from '../src/store/sql/where.ts';
import type { Store } from '../src/store/types.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { POSTGRES_AVAILABLE, freshDatabaseUrl, freshSchemaUrl, withClient } from './helpers/stores.ts';

const run = promisify(execFile);
const ROOT = new URL('..', import.meta.url).pathname;
const quiet = pino({ level: 'silent' });
const skip = POSTGRES_AVAILABLE ? false : 'PostgreSQL is not reachable';

/** The SQL block that follows `<!-- sql:name -->` in docs/scaling.md, one statement at a time ($$ bodies kept whole). */
function docSql(name: string): string[] {
  const doc = fs.readFileSync(new URL('../docs/scaling.md', import.meta.url), 'utf8');
  const block = new RegExp(`<!-- sql:${name} -->[^\\n]*\\n(?:\\*tested\\*\\n)?\`\`\`sql\\n([\\s\\S]*?)\`\`\``).exec(doc);
  assert.ok(block, `docs/scaling.md has a sql:${name} block`);
  const statements: string[] = [];
  let current = '';
  for (const line of block[1].split('\n')) {
    current += `${line}\n`;
    const insideDollarQuote = (current.match(/\$\$/g) ?? []).length % 2 === 1;
    if (/;\s*(--.*)?$/.test(line) && !insideDollarQuote) {
      statements.push(current.trim());
      current = '';
    }
  }
  return statements;
}

const openStore = (url: string) => createStore(loadConfig({ TALLY_DATABASE_URL: url, TALLY_PG_POOL_SIZE: '2' }), quiet);
const record = (body: Record<string, unknown>, org = 'org_pg') => deriveRecord(validateCreateBody(body), org);
const encoded = (records: RecordData[]) => records.map(encodeRecord);

describe('PostgreSQL store: config', () => {
  test('TALLY_PG_POOL_SIZE defaults to 10 and must be a positive integer', () => {
    assert.equal(loadConfig({}).pgPoolSize, 10);
    assert.equal(loadConfig({ TALLY_PG_POOL_SIZE: '25' }).pgPoolSize, 25);
    assert.throws(() => loadConfig({ TALLY_PG_POOL_SIZE: '0' }), ConfigError);
    assert.throws(() => loadConfig({ TALLY_PG_POOL_SIZE: 'ten' }), ConfigError);
  });
});

describe('PostgreSQL store: migrations', { skip }, () => {
  test('two processes opening a fresh database at once both succeed, and a third open changes nothing', async () => {
    const url = await freshDatabaseUrl();
    const stores: Store[] = await Promise.all([openStore(url), openStore(url)]);
    stores.push(await openStore(url));
    try {
      const rows = await withClient(url, async (c) => (await c.query('SELECT version FROM schema_migrations ORDER BY version')).rows);
      assert.deepEqual(
        rows.map((r) => r.version),
        POSTGRES_MIGRATIONS.map((m) => m.version),
      );
      await stores[0].insert(encoded([record({ field_1: 'hi' })]));
      assert.equal(
        (
          await stores[2].list('org_pg', {
            conditions: [],
            since: null,
            sort: { field: 'id', column: 'id', descending: true },
            offset: 0,
            limit: 10,
          })
        ).count,
        1,
      );
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  test('a replica waits for the migration lock longer than a request may take (10 s statement timeout)', async () => {
    const url = await freshDatabaseUrl();
    // Another "replica" holds the lock as if it were running a long migration.
    const holder = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT pg_advisory_xact_lock(7316883021)');
    const opening = openStore(url);
    await new Promise((r) => setTimeout(r, 11_000));
    await holder.query('COMMIT');
    await holder.end();
    const store = await opening;
    await store.close();
  });

  test('the schema has the registry columns, and its primary key and btree indexes lead with org_id', async () => {
    const url = await freshSchemaUrl();
    const store = await openStore(url);
    try {
      await withClient(url, async (c) => {
        const cols = await c.query(
          "SELECT column_name, collation_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'records'",
        );
        // field_22/field_23 are rebuilt on read now; their columns from migration 1 stay, unwritten.
        const LEGACY = ['field_22', 'field_23'];
        assert.deepEqual(cols.rows.map((r) => r.column_name).sort(), [...RECORD_COLUMNS.map((col) => col.name), ...LEGACY].sort());
        for (const col of RECORD_COLUMNS.filter((x) => x.scalar === 'text')) {
          assert.equal(cols.rows.find((r) => r.column_name === col.name)?.collation_name, 'C', `${col.name} compares by code point`);
        }
        const idx = await c.query(
          "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'records'",
        );
        const defs: Record<string, string> = Object.fromEntries(idx.rows.map((r) => [r.indexname, r.indexdef]));
        assert.match(defs.records_pkey, /\(org_id, id\)/);
        for (const cols of ['org_id, ts', 'org_id, field_10', 'org_id, field_12', 'org_id, field_13', 'org_id, field_6']) {
          assert.ok(
            Object.values(defs).some((d) => d.includes(`btree (${cols})`)),
            `an index on (${cols})`,
          );
        }
        for (const [name, def] of Object.entries(defs)) if (def.includes('btree')) assert.match(def, /btree \(org_id\b/, name);
        assert.match(defs.records_metadata, /gin \(field_9 jsonb_path_ops\)/);
      });
    } finally {
      await store.close();
    }
  });

  test('a failed migration is rolled back and the server exits non-zero; so does an unreachable database', async () => {
    const url = await freshSchemaUrl();
    await withClient(url, (c) => c.query('CREATE TABLE records (unrelated integer)'));
    const env = {
      ...process.env,
      TALLY_DATABASE_URL: url,
      TALLY_INIT_ORG_ID: 'org_x',
      TALLY_INIT_API_KEY: 'key-0123456789abcdef',
      PORT: '0',
    };
    const failed = await run(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: ROOT,
      env,
      timeout: 60_000,
      killSignal: 'SIGKILL',
    }).then(
      () => null,
      (err: { code?: number; stderr?: string }) => err,
    );
    assert.ok(failed && failed.code !== 0, 'the server must not start');
    assert.match(failed.stderr ?? '', /migrations failed: relation "records" already exists/);
    const left = await withClient(url, (c) => c.query("SELECT to_regclass('orgs') AS orgs, to_regclass('schema_migrations') AS m"));
    assert.equal(left.rows[0].orgs, null, 'the half-applied migration was rolled back');

    const down = { ...env, TALLY_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' };
    const unreachable = await run(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: ROOT,
      env: down,
      timeout: 60_000,
      killSignal: 'SIGKILL',
    }).then(
      () => null,
      (err: { code?: number; stderr?: string }) => err,
    );
    assert.ok(unreachable && unreachable.code !== 0);
    assert.match(unreachable.stderr ?? '', /ECONNREFUSED/);
  });
});

describe('PostgreSQL store: connections', { skip }, () => {
  test("every session gets Tally's settings, after the URL's own options", async () => {
    const url = await freshSchemaUrl();
    const client = new pg.Client({ ...connectionConfig(url), connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      const show = async (name: string) => String(Object.values((await client.query(`SHOW ${name}`)).rows[0])[0]);
      assert.equal(await show('TimeZone'), 'UTC');
      assert.match(await show('DateStyle'), /^ISO/);
      assert.equal(await show('extra_float_digits'), '1');
      assert.equal(await show('synchronous_commit'), 'on');
      assert.match(await show('search_path'), /^app_\d+$/, 'the search_path given in the URL is kept');
    } finally {
      await client.end();
    }
  });
});

describe('PostgreSQL store: text forms match the ones the SQLite store computes', { skip }, () => {
  test('float, timestamp and metadata text on a real server', async () => {
    const url = await freshSchemaUrl();
    // A session TimeZone other than UTC must not shift the timestamp text.
    await withClient(url, async (c) => {
      await c.query("SET TimeZone = 'America/New_York'");
      let seed = 7;
      const rnd = () => {
        seed = (seed * 48271) % 2147483647;
        return seed / 2147483647;
      };
      const floats = [
        0,
        0.5,
        2e-5,
        1e-4,
        9.99e-5,
        1e15,
        1e14 + 0.5,
        123456789.123,
        1e-7,
        1e12,
        0.1 + 0.2,
        ...Array.from({ length: 200 }, () => rnd() * 10 ** Math.floor(rnd() * 24 - 10)),
      ];
      const fl = await c.query(
        `SELECT ${postgresDialect.textOf('x', 'float')} AS t FROM unnest($1::float8[]) WITH ORDINALITY AS u(x, i) ORDER BY i`,
        [floats],
      );
      assert.deepEqual(
        fl.rows.map((r) => r.t),
        floats.map(pgFloatText),
      );

      const min = Date.UTC(1700, 0, 1) * 1000;
      const max = Date.UTC(2200, 0, 1) * 1000;
      const stamps = [
        0,
        1_735_727_400_120_000,
        1_735_727_400_000_000,
        1_735_727_400_000_001,
        min,
        ...Array.from({ length: 200 }, () => Math.floor(min + rnd() * (max - min))),
      ];
      const ts = await c.query(
        `SELECT ${postgresDialect.textOf('x', 'timestamp')} AS t FROM unnest($1::bigint[]) WITH ORDINALITY AS u(x, i) ORDER BY i`,
        [stamps],
      );
      assert.deepEqual(
        ts.rows.map((r) => r.t),
        stamps.map(pgTimestampText),
      );

      const values = [
        0.00002,
        1e21,
        1.5e-7,
        5e-324,
        -0.5,
        12.5,
        5,
        'é"\\\n',
        true,
        false,
        null,
        [1, 'x', [2, { bb: 1, a: null }]],
        { b: 1, a: [1, 2], é: 1, z: 2, '"': 3 },
        {},
        [],
        ...floats,
      ];
      const params: unknown[] = [];
      const text = postgresDialect.metaText(params, ['k']);
      for (const v of values) {
        const { rows } = await c.query(`SELECT ${text} AS t FROM (SELECT $2::jsonb AS field_9) AS r`, [
          ...params,
          JSON.stringify({ k: v }),
        ]);
        assert.equal(rows[0].t, pgJsonText(v), JSON.stringify(v));
      }
    });
  });
});

describe('PostgreSQL store: icontains upper-cases as the SQLite store does', { skip }, () => {
  test('simpleUpper matches UPPER() for every character whose JavaScript upper case expands', async () => {
    const expanding: string[] = [];
    for (let cp = 0; cp < 0x110000; cp++) {
      if (cp >= 0xd800 && cp < 0xe000) continue;
      const ch = String.fromCodePoint(cp);
      if (ch.toUpperCase().length !== ch.length) expanding.push(ch);
    }
    assert.ok(expanding.length >= 100, `${expanding.length} characters`);
    await withClient(await freshSchemaUrl(), async (c) => {
      // The collation icontains upper-cases under (POSTGRES_MIGRATIONS creates tally_case the same way).
      await c.query("CREATE COLLATION IF NOT EXISTS upper_probe (provider = libc, locale = 'C.UTF-8')");
      const { rows } = await c.query(
        'SELECT UPPER(x COLLATE upper_probe) AS u FROM unnest($1::text[]) WITH ORDINALITY AS t(x, i) ORDER BY i',
        [expanding],
      );
      const differ = expanding.flatMap((ch, i) =>
        rows[i].u === simpleUpper(ch)
          ? []
          : [`${ch} U+${ch.codePointAt(0)!.toString(16)}: UPPER() ${rows[i].u}, simpleUpper ${simpleUpper(ch)}`],
      );
      assert.deepEqual(differ, []);
      assert.equal(simpleUpper('ᾳ'), 'ᾼ', 'and some of them have an upper case of their own');
    });
  });
});

describe('PostgreSQL store: dialect edge cases through the API', { skip }, () => {
  let t: TestApp;
  const ids: Record<string, string> = {};
  const list = async (body: Record<string, unknown>) => {
    const res = await t.request('POST', '/api/records/list/', body);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as { count: number; results: Record<string, any>[] };
  };
  const names = async (body: Record<string, unknown>) => (await list(body)).results.map((r) => r.field_15);

  before(async () => {
    t = await startTestApp('postgres');
    const rows: Record<string, unknown>[] = [
      {
        field_15: 'B',
        field_10: 'B',
        field_6: 0.00002,
        field_1: 'ÉCOLE',
        field_14: 'Straße',
        timestamp: '2025-01-01T10:30:00.12Z',
        field_9: { n: 1, s: '1', flag: true, nul: null, arr: ['a'], deep: [{ b: 1 }], map: { b: 1 } },
      },
      {
        field_15: 'a',
        field_10: 'a',
        field_6: 1.5,
        field_1: 'école',
        timestamp: '2025-01-01T10:30:00Z',
        field_9: { n: '1', s: 1, flag: 'true', arr: 'a', list: [7] },
      },
      {
        field_15: 'é',
        field_10: 'é',
        field_6: null,
        field_1: 'Ecole',
        timestamp: '2025-01-01T10:30:00.000001Z',
        field_9: { n: 1.5, deep: { b: 1 } },
      },
      { field_15: 'null', field_10: null, field_6: 3, field_1: null, timestamp: '2025-01-02T00:00:00Z' },
    ];
    for (const row of rows) {
      const res = await t.request('POST', '/api/records/create/', row);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      ids[row.field_15 as string] = res.body.id;
    }
  });
  after(async () => {
    await t?.close();
  });

  test('text sorts by code point (B < a < é), NULLs last ascending and first descending', async () => {
    assert.deepEqual(await names({ param_d: 'field_10' }), ['B', 'a', 'é', 'null']);
    assert.deepEqual(await names({ param_d: '-field_10' }), ['null', 'é', 'a', 'B']);
    assert.deepEqual(await names({ param_d: 'option_2' }), ['B', 'a', 'null', 'é']);
    assert.deepEqual(await names({ param_d: '-option_2' }), ['é', 'null', 'a', 'B']);
    assert.deepEqual(await names({ filters: { field_10: { operator: 'lt', value: ['a'] } } }), ['B']);
    assert.deepEqual(await names({ filters: { field_10: { operator: 'gt', value: ['z'] } } }), ['é']);
  });

  test('icontains folds case beyond ASCII; contains and startswith do not', async () => {
    assert.deepEqual((await names({ filters: { field_1: { operator: 'icontains', value: ['ÉCOLE'] } } })).sort(), ['B', 'a']);
    assert.deepEqual(await names({ filters: { field_1: { operator: 'contains', value: ['cole'] } } }), ['é', 'a']);
    assert.deepEqual(await names({ filters: { field_1: { operator: 'startswith', value: ['É'] } } }), ['B']);
    // One code point at a time, as on SQLite: ß stays ß rather than becoming SS.
    assert.deepEqual(await names({ filters: { field_14: { operator: 'icontains', value: ['STRAßE'] } } }), ['B']);
    assert.deepEqual(await names({ filters: { field_14: { operator: 'icontains', value: ['STRASSE'] } } }), []);
  });

  test('contains matches the text of floats and timestamps as PostgreSQL prints them', async () => {
    assert.deepEqual(await names({ filters: { field_6: { operator: 'contains', value: ['e-05'] } } }), ['B']);
    assert.deepEqual(await names({ filters: { timestamp: { operator: 'contains', value: ['10:30:00.12+00'] } } }), ['B']);
    assert.deepEqual(await names({ filters: { timestamp: { operator: 'endswith', value: ['10:30:00+00'] } } }), ['a']);
    assert.deepEqual(await names({ filters: { timestamp: { operator: 'contains', value: ['.000001'] } } }), ['é']);
  });

  test('an int column compares with a fractional value as a number', async () => {
    const res = await list({ filters: { field_18: { operator: '', value: [200.5] } } });
    assert.equal(res.count, 0);
    assert.equal((await list({ filters: { field_18: { operator: 'lt', value: [200.5] } } })).count, 4);
  });

  test('metadata equality respects JSON types; only an integer step looks into an array', async () => {
    const meta = (key: string, operator: string, ...value: unknown[]) => names({ filters: { [`field_9__${key}`]: { operator, value } } });
    assert.deepEqual(await meta('n', '', 1), ['B']);
    assert.deepEqual(await meta('n', '', 1.0), ['B']);
    assert.deepEqual(await meta('n', '', '1'), ['a']);
    assert.deepEqual(await meta('s', '', 1), ['a']);
    assert.deepEqual(await meta('flag', '', true), ['B']);
    assert.deepEqual(await meta('flag', '', 'true'), ['a']);
    assert.deepEqual((await meta('n', 'in', 1, 1.5)).sort(), ['B', 'é']);
    assert.deepEqual(await meta('arr', '', 'a'), ['a'], '{"arr": ["a"]} does not contain {"arr": "a"}');
    assert.deepEqual(await meta('deep__b', '', 1), ['é'], 'an array of objects on the path is not looked into');
    assert.deepEqual(await meta('map__b', '', 1), ['B']);
    assert.deepEqual(await meta('list__0', 'isnull', false), ['a'], 'an integer step indexes an array, as #> does');
    assert.deepEqual(await meta('deep__0__b', '', 1), ['B'], 'and then a key of the element');
    assert.deepEqual((await meta('n', 'not', 1)).sort(), ['a', 'null', 'é'], 'not keeps records without the key');
  });

  test('JSON null is a value; a missing key is not', async () => {
    const meta = (key: string, operator: string, ...value: unknown[]) => names({ filters: { [`field_9__${key}`]: { operator, value } } });
    assert.deepEqual(await meta('nul', 'isnull', false), ['B']);
    assert.deepEqual((await meta('nul', 'isnull', true)).sort(), ['a', 'null', 'é']);
    assert.deepEqual(await meta('nul', 'contains', 'null'), [], 'the text of JSON null is NULL');
  });

  test('metadata comparisons are number-to-number or string-to-string', async () => {
    const meta = (key: string, operator: string, ...value: unknown[]) => names({ filters: { [`field_9__${key}`]: { operator, value } } });
    assert.deepEqual(await meta('n', 'gt', 1), ['é']);
    assert.deepEqual(await meta('n', 'gte', '1'), ['a']);
    assert.deepEqual(await meta('s', 'lt', 2), ['a']);
  });
});

describe('PostgreSQL store: writes', { skip }, () => {
  let store: Store;
  let url: string;
  before(async () => {
    url = await freshSchemaUrl();
    store = await openStore(url);
  });
  after(async () => {
    await store?.close();
  });
  const count = async () => Number((await withClient(url, (c) => c.query('SELECT count(*) AS n FROM records'))).rows[0].n);

  test('a batch is one statement: retried after a lost reply it stores nothing twice', async () => {
    const batch = Array.from({ length: 250 }, (_, i) => record({ field_1: `r${i}`, field_9: { i } }));
    await store.insert(encoded(batch));
    await store.insert(encoded(batch));
    assert.equal(await count(), 250);
    const back = await store.get('org_pg', batch[17].id);
    assert.deepEqual(back, batch[17]);
  });

  test('a batch commits whole or not at all', async () => {
    const before = await count();
    const bad = { ...record({ field_1: 'bad' }), field_3: null } as unknown as ReturnType<typeof record>;
    await assert.rejects(store.insert(encoded([record({ field_1: 'good' }), bad])));
    assert.equal(await count(), before);
  });

  test('the kept counts (org_record_counts, meta_value_counts: a trigger) stay exact: retries, rollbacks, many orgs, two processes at once', async () => {
    const other = await openStore(url); // a second Tally process on the same database
    try {
      const unfiltered = {
        conditions: [],
        since: null,
        sort: { field: 'id', column: 'id', descending: true },
        offset: 0,
        limit: 1,
        count: true,
      };
      const orgs = ['org_pg', 'org_pg_b', 'org_pg_c'];
      const batches = Array.from({ length: 40 }, (_, b) =>
        Array.from({ length: 1 + (b % 7) * 10 }, (_, i) =>
          record({ field_1: `c${b}.${i}`, field_9: { b: b % 3, tag: i % 2 ? 'x' : 'y' } }, orgs[(b + i) % 3]),
        ),
      );
      // Concurrent statements from both stores, each batch also retried (its rows then conflict and count nothing).
      await Promise.all(
        batches.map((batch, b) =>
          (b % 2 ? other : store).insert(encoded(batch)).then(() => (b % 2 ? store : other).insert(encoded(batch))),
        ),
      );
      const bad = { ...record({ field_1: 'bad' }), field_3: null } as unknown as ReturnType<typeof record>;
      await assert.rejects(store.insert(encoded([record({ field_1: 'rolled back' }), bad])));
      const truth = await withClient(url, (c) => c.query('SELECT org_id, count(*)::int AS n FROM records GROUP BY org_id'));
      assert.equal(truth.rows.length, 3);
      for (const { org_id, n } of truth.rows) assert.equal((await store.list(org_id, unfiltered)).count, n, org_id);
      const metaTruth = await withClient(url, (c) =>
        c.query(`SELECT org_id, count(*)::int AS n FROM records WHERE field_9->'b' IN ('0', '2') GROUP BY org_id`),
      );
      const metaIn = parseFilters({ field_9__b: { operator: 'in', value: [0, 2, 2.0] } });
      for (const { org_id, n } of metaTruth.rows)
        assert.equal((await store.list(org_id, { ...unfiltered, conditions: metaIn })).count, n, `${org_id} field_9__b in`);
      const slots = await withClient(url, (c) => c.query("SELECT count(*)::int AS n FROM org_record_counts WHERE org_id = 'org_pg_b'"));
      assert.ok(slots.rows[0].n > 1, 'inserts spread over several slots');
    } finally {
      await other.close();
    }
  });
});

describe('PostgreSQL store: indexes serve the queries', { skip }, () => {
  /** The plan PostgreSQL picks for the store's count query of these filters, with sequential scans discouraged. */
  async function plan(url: string, filters: unknown): Promise<string> {
    const params: unknown[] = [];
    const where = whereSql(postgresDialect, params, 'org_pg', null, parseFilters(filters), 'ts');
    return withClient(url, async (c) => {
      await c.query('SET enable_seqscan = off');
      const { rows } = await c.query(`EXPLAIN SELECT count(*) FROM records WHERE ${where}`, params);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
  }

  test('metadata equality and "in" use the GIN index; the trigram index of docs/scaling.md serves icontains', async () => {
    const url = await freshSchemaUrl();
    const store = await openStore(url);
    try {
      // One org, so org_id alone selects everything; gold is rare, so the GIN index is the cheap way to it.
      await store.insert(
        encoded(
          Array.from({ length: 2000 }, (_, i) =>
            record({ field_1: `text ${i}`, field_12: `ref ${i}`, field_9: { tier: i % 100 ? 'silver' : 'gold' } }),
          ),
        ),
      );
      await withClient(url, (c) => c.query('ANALYZE records'));
      assert.match(await plan(url, { field_9__tier: { operator: '', value: ['gold'] } }), /records_metadata/);
      assert.match(await plan(url, { field_9__tier: { operator: 'in', value: ['gold', 'bronze'] } }), /records_metadata/);
      assert.match(await plan(url, { field_12: { operator: '', value: ['x'] } }), /records_org_custom_id/);
      // The opt-in indexes, exactly as docs/scaling.md gives them (pg_trgm lands in this test's schema).
      await withClient(url, async (c) => {
        for (const statement of docSql('trigram')) await c.query(statement);
        await c.query('ANALYZE records');
      });
      assert.match(await plan(url, { field_1: { operator: 'icontains', value: ['TEXT 4'] } }), /records_field_1_upper_trgm/);
      assert.match(await plan(url, { field_1: { operator: 'contains', value: ['text 4'] } }), /records_field_1_trgm/);
    } finally {
      await store.close();
    }
  });
});

describe('PostgreSQL store: the analytics "other" row', { skip }, () => {
  test('is a hashed NOT IN probe per record, never a nested loop over records and groups, with or without statistics', async () => {
    const url = await freshSchemaUrl();
    const store = await openStore(url);
    try {
      // A freshly filled table without statistics (autovacuum kept off) is where a join of the two CTEs was planned
      // as a nested loop: every record compared with every group past the limit (issue 17; 10 s at 100k records).
      await withClient(url, (c) => c.query('ALTER TABLE records SET (autovacuum_enabled = false)'));
      const at = Date.UTC(2026, 4, 1) * 1000;
      await store.insert(
        encoded(
          Array.from({ length: 3000 }, (_, i) =>
            record({ timestamp: new Date((at + i * 1e6) / 1000).toISOString(), field_10: `c${i % 300}`, field_6: (i % 7) / 10 }),
          ),
        ),
      );
      const p = parseAnalyticsParams(
        {
          param_a: '2026-05-01T00:00:00Z',
          end: '2026-05-02T00:00:00Z',
          group_by: 'field_10',
          measures: 'count,cost,latency_p95',
          order_by: '-cost',
          limit: '10',
          filters: { field_18: { operator: 'gte', value: [100] } },
        },
        Date.now() * 1000,
      );
      const plan = async () => {
        const params: unknown[] = [];
        const sql = otherRowsSql(postgresAnalyticsDialect, params, 'org_pg', p);
        return withClient(url, async (c) => (await c.query(`EXPLAIN ${sql}`, params)).rows.map((r) => r['QUERY PLAN']).join('\n'));
      };
      for (const stats of ['without statistics', 'after ANALYZE']) {
        if (stats === 'after ANALYZE') await withClient(url, (c) => c.query('ANALYZE records'));
        const text = await plan();
        assert.match(text, /NOT \(hashed SubPlan/, `${stats}:\n${text}`);
        assert.doesNotMatch(text, /Nested Loop|Join/, `${stats}:\n${text}`);
      }
    } finally {
      await store.close();
    }
  });
});

describe('PostgreSQL store: the partitioning recipe of docs/scaling.md', { skip }, () => {
  test('records survive the conversion, Tally reads and writes the partitioned table, retention drops a month', async () => {
    const url = await freshSchemaUrl();
    const store = await openStore(url);
    const at = (timestamp: string, i: number) => record({ field_1: `p${i}`, timestamp, field_9: { i } });
    try {
      const before = [
        at('2025-01-15T12:00:00Z', 1),
        at('2025-02-01T00:00:00Z', 2),
        at('2025-01-31T23:59:59.999999Z', 3),
        at('1800-01-01T00:00:00Z', 4),
      ];
      await store.insert(encoded(before));
      await withClient(url, async (c) => {
        for (const statement of docSql('partition')) await c.query(statement);
      });
      const byMonth = await withClient(
        url,
        async (c) => (await c.query('SELECT tableoid::regclass::text AS part, count(*)::int AS n FROM records GROUP BY 1 ORDER BY 1')).rows,
      );
      assert.deepEqual(byMonth, [
        { part: 'records_2025_01', n: 2 },
        { part: 'records_2025_02', n: 1 },
        { part: 'records_default', n: 1 },
      ]);

      const later = at('2025-03-03T03:03:03Z', 5);
      await store.insert(encoded([later]));
      await store.insert(encoded([later, before[0]])); // a retried batch still stores nothing twice
      assert.deepEqual(await store.get('org_pg', before[2].id), before[2]);
      const all = { conditions: [], since: null, sort: { field: 'id', column: 'id', descending: true }, offset: 0, limit: 100 };
      assert.equal((await store.list('org_pg', all)).count, 5);
      assert.equal(
        (await store.list('org_pg', { ...all, conditions: parseFilters({ field_9__i: { operator: 'in', value: [1, 5] } }) })).count,
        2,
      );
      assert.equal((await store.summary('org_pg', { conditions: [], since: null })).count, 5, 'the summary reads the partitions too');

      await withClient(url, async (c) => {
        for (const statement of docSql('retention')) await c.query(statement);
      });
      assert.equal((await store.list('org_pg', all)).count, 3, 'January is gone');
      const metaIn = parseFilters({ field_9__i: { operator: 'in', value: [1, 2, 3, 4, 5] } });
      assert.equal((await store.list('org_pg', { ...all, conditions: metaIn })).count, 3, 'and out of the per-value counts');
      assert.equal(await store.get('org_pg', before[0].id), null);
    } finally {
      await store.close();
    }
  });
});
