import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import fc from 'fast-check';
import type { CreateInput } from '../src/fields/validate.ts';
import { MEASURES } from '../src/query/analytics-params.ts';
import { deriveRecord } from '../src/records/derive.ts';
import { rebuildRollups } from '../src/records/rollups-rebuild.ts';
import { encodeRecord } from '../src/store/encoded-record.ts';
import { INSERT_RECORDS, insertValues } from '../src/store/postgres/insert.ts';
import { POSTGRES_MIGRATIONS } from '../src/store/postgres/migrations.ts';
import { bytesSketch, pairsTextSketch } from '../src/store/rollup/sketch.ts';
import { CHUNK } from '../src/store/sqlite/writer-client.ts';
import {
  ROLLUP_SOURCE_COLUMNS,
  ROLLUP_TABLES,
  RollupDelta,
  type RollupSource,
  type RollupTable,
  SUMS,
} from '../src/store/rollup/tables.ts';
import { startTestApp, TEST_ORG, type TestApp } from './helpers/app.ts';
import { request as otlpRequest, sendTraces, span } from './helpers/otlp.ts';
import { sqlOnStore } from './helpers/store-sql.ts';
import { freshSchemaUrl, STORE_KINDS, withClient } from './helpers/stores.ts';

/**
 * Rollups (docs/analytics.md, "Rollups"), on every store:
 * - after random mixes of creates, batches, OTLP spans, erasures and retention runs, the rollup tables equal a fresh
 *   computation from the records left (and equal it again after `tally rollups rebuild`, also after rows were lost);
 * - for random requests a rollup can serve, its answer equals the scan's (counts and sums to 1e-9, percentiles within
 *   1%); requests it cannot serve are scans.
 */

const FLOATS = new Set(['cost', 'lat_sum', 'rate_sum']);
const HOUR_MS = 3_600_000;

/** A rollup row in comparable form: its key as text, sums, sketches as "bin:count" lists. */
interface Row {
  key: string;
  sums: Record<string, number>;
  sketches: string;
}
const sketchText = (p: Int32Array) => Array.from({ length: p.length / 2 }, (_, i) => `${p[2 * i]}:${p[2 * i + 1]}`).join(',');

/** The rollup tables as the store holds them. */
async function stored(t: TestApp, tables: readonly RollupTable[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const table of tables) {
    const q = `SELECT * FROM ${table.name}`;
    for (const r of await sqlOnStore(t, { sqlite: '', postgres: '' }, q)) {
      const sketch = (v: unknown) => (t.databaseUrl === null ? bytesSketch(v as Buffer | null) : pairsTextSketch(v as string | null));
      rows.push({
        key: [table.name, r.org_id, Number(r.t), ...table.dims.map((d) => r[d])].join('|'),
        sums: Object.fromEntries(SUMS.map((s) => [s, Number(r[s])])),
        sketches: `${sketchText(sketch(r.lat))} / ${sketchText(sketch(r.ttft))}`,
      });
    }
  }
  return rows.sort((a, b) => (a.key < b.key ? -1 : 1));
}

/** The rollup tables computed afresh from the records the store holds. */
async function fresh(t: TestApp, tables: readonly RollupTable[]): Promise<Row[]> {
  const delta = new RollupDelta();
  const records = await sqlOnStore(t, { sqlite: '', postgres: '' }, `SELECT ${ROLLUP_SOURCE_COLUMNS.join(', ')} FROM records`);
  for (const r of records) delta.add(r as RollupSource, 1);
  const rows: Row[] = [];
  for (const table of tables) {
    for (const w of delta.writes(table.name)) {
      rows.push({
        key: [table.name, w.org, w.t, ...w.keys].join('|'),
        sums: { ...w.sums },
        sketches: `${sketchText(w.lat)} / ${sketchText(w.ttft)}`,
      });
    }
  }
  return rows.sort((a, b) => (a.key < b.key ? -1 : 1));
}

/**
 * SQLite: waits (at most 5 s) until the writer has folded every record into the rollup tables (rollup-fold.ts: it
 * does once it has had nothing to do for 50 ms); the tables alone are compared then.
 */
async function untilFolded(t: TestApp): Promise<void> {
  if (t.databaseUrl !== null) return;
  const sql = 'SELECT (SELECT through_seq FROM rollups_state) >= coalesce((SELECT max(seq) FROM records), 0) AS done';
  for (let i = 0; i < 100; i++) {
    if ((await sqlOnStore(t, { sqlite: '', postgres: '' }, sql))[0].done) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the writer did not fold the rollups within 5 s');
}

async function assertRollupsExact(t: TestApp, what: string, tables: readonly RollupTable[] = ROLLUP_TABLES): Promise<void> {
  await untilFolded(t);
  const [got, want] = await Promise.all([stored(t, tables), fresh(t, tables)]);
  assert.deepEqual(
    got.map((r) => r.key),
    want.map((r) => r.key),
    `${what}: the rollup rows`,
  );
  got.forEach((row, i) => {
    const w = want[i];
    for (const s of SUMS) {
      if (!FLOATS.has(s)) assert.equal(row.sums[s], w.sums[s], `${what}: ${row.key} ${s}`);
      else assert.ok(Math.abs(row.sums[s] - w.sums[s]) <= 1e-9 * Math.max(Math.abs(w.sums[s]), 1e-6), `${what}: ${row.key} ${s}`);
    }
    assert.equal(row.sketches, w.sketches, `${what}: ${row.key} sketches`);
  });
}

// ---- records ------------------------------------------------------------------------------------------------------

const CUSTOMERS = ['acme', 'globex', 'initech', null];
const MODELS = ['gpt-4o', 'gpt-4o-mini', 'no-such-model', null];

const recArb = fc.record({
  ageMinutes: fc.integer({ min: 0, max: 50 * 24 * 60 }),
  model: fc.constantFrom(...MODELS),
  type: fc.constantFrom('type_a', 'type_b', null),
  customer: fc.constantFrom(...CUSTOMERS),
  status: fc.constantFrom(200, 500),
  latency: fc.option(fc.integer({ min: 0, max: 9000 }), { nil: null }),
  ttft: fc.option(fc.integer({ min: 0, max: 900 }), { nil: null }),
  tokens: fc.option(fc.record({ a: fc.nat(900), b: fc.nat(400) }), { nil: null }),
  cost: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: undefined }),
});
type Rec = typeof recArb extends fc.Arbitrary<infer T> ? T : never;

const body = (r: Rec, now: number) => ({
  timestamp: new Date(now - r.ageMinutes * 60_000).toISOString(),
  field_3: r.type,
  field_4: r.model,
  field_10: r.customer,
  field_18: r.status,
  field_7: r.latency === null ? null : r.latency / 1000,
  field_8: r.ttft === null ? null : r.ttft / 1000,
  field_5: r.tokens === null ? null : { sub_field_a: r.tokens.a, sub_field_b: r.tokens.b },
  ...(r.cost === undefined ? {} : { field_6: r.cost / 1e6 }),
});

const actionArb = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), rec: recArb }),
  fc.record({ kind: fc.constant('batch' as const), recs: fc.array(recArb, { minLength: 1, maxLength: 30 }) }),
  fc.record({ kind: fc.constant('otlp' as const), recs: fc.array(recArb, { minLength: 1, maxLength: 5 }) }),
  fc.record({
    kind: fc.constant('erase' as const),
    customers: fc.uniqueArray(fc.constantFrom('acme', 'globex', 'initech'), { minLength: 1 }),
  }),
  fc.record({ kind: fc.constant('expire' as const), days: fc.integer({ min: 1, max: 45 }) }),
);

/** A GenAI chat span whose record has the rec's model, customer, tokens and latency. */
function chatSpan(r: Rec, now: number) {
  const start = BigInt(now - r.ageMinutes * 60_000) * 1_000_000n;
  const latency = BigInt(r.latency ?? 1000) * 1_000_000n;
  return span({
    name: `chat ${r.model ?? 'x'}`,
    start,
    end: start + latency,
    attributes: {
      'gen_ai.operation.name': 'chat',
      ...(r.model === null ? {} : { 'gen_ai.request.model': r.model }),
      ...(r.tokens === null ? {} : { 'gen_ai.usage.input_tokens': r.tokens.a, 'gen_ai.usage.output_tokens': r.tokens.b }),
      ...(r.customer === null ? {} : { 'user.id': r.customer }),
    },
    status: r.status === 500 ? { code: 2, message: 'failed' } : { code: 0 },
  });
}

describe('rollups', () => {
  for (const kind of STORE_KINDS) {
    describe(kind, () => {
      let t: TestApp;
      before(async () => {
        t = await startTestApp(kind);
      });
      after(async () => {
        await t.close();
      });

      test('property: the rollups equal a fresh computation after creates, batches, OTLP, erasures and retention runs, and after a rebuild', async () => {
        const now = Date.now();
        await fc.assert(
          fc.asyncProperty(fc.array(actionArb, { minLength: 1, maxLength: 8 }), async (actions) => {
            for (const a of actions) {
              if (a.kind === 'create') await t.create(body(a.rec, now));
              else if (a.kind === 'batch') {
                const res = await t.request('POST', '/api/records/batch/', { records: a.recs.map((r) => body(r, now)) });
                assert.equal(res.status, 201, JSON.stringify(res.body));
              } else if (a.kind === 'otlp') {
                const res = await sendTraces(t, otlpRequest(a.recs.map((r) => chatSpan(r, now))), 'json');
                assert.equal(res.status, 200, res.raw.toString());
                await t.drain();
              } else if (a.kind === 'erase') {
                const res = await t.request('POST', '/api/records/erase/', {
                  filters: { field_10: { operator: 'in', value: a.customers } },
                });
                assert.equal(res.status, 200, JSON.stringify(res.body));
              } else {
                const audit = { at: Date.now(), actor: 'test', action: 'retention_changed' };
                await t.store.setRetention(TEST_ORG, a.days, { ...audit, details: JSON.stringify({ days: a.days }) });
                await t.app.retention.runNow();
                await t.store.setRetention(TEST_ORG, null, { ...audit, details: '{"days":null}' });
              }
            }
            await assertRollupsExact(t, 'kept by the writes');
          }),
          { numRuns: 10, seed: 1717 },
        );
        // A rebuild gives the same rows; so it does after rows were lost or damaged.
        await rebuildRollups(t.store);
        await assertRollupsExact(t, 'after a rebuild');
        await sqlOnStore(t, {
          sqlite:
            "DELETE FROM rollups_hour WHERE t % 7200000000 = 0; UPDATE rollups_customer_day SET n = n + 5, cost = cost + 1; UPDATE rollups_day SET lat = NULL; UPDATE rollups_customer_hour SET ttft = NULL, tt = tt + 1; INSERT INTO rollups_hour SELECT 'org_ghost', t, field_3, field_4, status, n, errors, costed, cost, tp_n, tp, tc_n, tc, tt_n, tt, lat_n, lat_sum, rate_n, rate_sum, lat, ttft FROM rollups_hour LIMIT 1",
          postgres:
            "DELETE FROM rollups_hour WHERE t % 7200000000 = 0; UPDATE rollups_customer_day SET n = n + 5, cost = cost + 1; UPDATE rollups_day SET lat = NULL; UPDATE rollups_customer_hour SET ttft = NULL, tt = tt + 1; INSERT INTO rollups_hour SELECT 'org_ghost', t, field_3, field_4, status, n, errors, costed, cost, tp_n, tp, tc_n, tc, tt_n, tt, lat_n, lat_sum, rate_n, rate_sum, lat, ttft FROM rollups_hour LIMIT 1",
        });
        await assert.rejects(assertRollupsExact(t, 'damaged'));
        await rebuildRollups(t.store);
        await assertRollupsExact(t, 'repaired by a rebuild');
      });

      test('a batch written in chunks (more records than the writer takes at once) keeps the rollups exact', async () => {
        const now = Date.now();
        const recs = fc.sample(recArb, { numRuns: 2 * CHUNK + 37, seed: 4242 });
        const res = await t.request('POST', '/api/records/batch/', { records: recs.map((r) => body(r, now)) });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        await assertRollupsExact(t, 'after a batch in chunks');
      });

      test('npx tally rollups rebuild: a store upgraded with records answers scans until the rebuild, rollups after', async () => {
        const u = await startTestApp(kind);
        try {
          await u.createMany(50, (i) => ({
            timestamp: new Date(Date.UTC(2026, 4, 1, i % 24, i)).toISOString(),
            field_4: `m${i % 3}`,
            field_7: i / 10,
          }));
          // As migration 14 (SQLite) or 12 (PostgreSQL) leaves a store that held records: empty rollups, not ready.
          await sqlOnStore(u, {
            sqlite:
              'DELETE FROM rollups_hour; DELETE FROM rollups_customer_day; DELETE FROM rollups_customer_hour; UPDATE rollups_state SET ready = 0, customer_hour = 0',
            postgres:
              'DELETE FROM rollups_hour; DELETE FROM rollups_customer_day; DELETE FROM rollups_customer_hour; UPDATE rollups_state SET ready = false, customer_hour = false',
          });
          const ask = () =>
            u.request('POST', '/api/records/analytics/', {
              param_a: '2026-05-01T00:00:00Z',
              end: '2026-05-03T00:00:00Z',
              group_by: ['field_4'],
              measures: ['count', 'latency_p95'],
            });
          const scanned = await ask();
          assert.equal(scanned.body.source, 'scan');
          const env = {
            ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TALLY_'))),
            ...(u.databaseUrl === null ? { TALLY_DATA_DIR: u.dataDir } : { TALLY_DATABASE_URL: u.databaseUrl }),
          };
          const bad = await run(['rollups', 'rebuild', '--org', ''], env);
          assert.equal(bad.code, 2, bad.stderr);
          const done = await run(['rollups', 'rebuild'], env);
          assert.equal(done.code, 0, done.stderr);
          assert.match(done.stdout, /Rebuilt the rollups of 1 org from 50 records/);
          const rolled = await ask();
          assert.equal(rolled.body.source, 'rollup');
          assert.deepEqual(
            rolled.body.results.map((r: any) => [r.group, r.count]),
            scanned.body.results.map((r: any) => [r.group, r.count]),
          );
          await assertRollupsExact(u, 'after the CLI rebuild');
        } finally {
          await u.close();
        }
      });

      // SQLite also with its fold held back (rollup-fold.ts): 200 records a batch, folded once 250 are held and never
      // by time, so that reads add up a tail of records beside the tables' rows, and an erasure takes records out of
      // both (through a batch of 200 folded, a third in the tail).
      const folds: [string, Record<string, string>][] =
        kind === 'sqlite'
          ? [
              ['', {}],
              [
                ', with records not folded yet',
                { TALLY_ROLLUP_FOLD_RECORDS: '250', TALLY_ROLLUP_FOLD_IDLE_MS: '3600000', TALLY_ROLLUP_FOLD_MAX_MS: '3600000' },
              ],
            ]
          : [['', {}]];
      for (const [variant, env] of folds)
        test(`property: a rollup answer equals the scan answer (sums to 1e-9, percentiles within 1%); what rollups cannot serve is a scan${variant}`, async () => {
          const u = await startTestApp(kind, env);
          try {
            const r = fc.sample(recArb, { numRuns: 600, seed: 5 });
            const base = Date.UTC(2026, 2, 27);
            const make = (i: number) => ({
              ...body(r[i], base + 4 * DAY_MS),
              timestamp: new Date(base + ((i * 7919) % ((4 * DAY_MS) / 1000)) * 1000).toISOString(),
              field_4: r[i].model,
            });
            for (let from = 0; from < r.length; from += 200) await u.createMany(200, (i) => make(from + i));
            // One customer's records go (a third of them), of whichever batch.
            const erased = await u.request('POST', '/api/records/erase/', { filters: { field_10: { operator: '', value: ['initech'] } } });
            assert.equal(erased.status, 200, JSON.stringify(erased.body));
            if (variant) {
              const [state] = await sqlOnStore(
                u,
                { sqlite: '', postgres: '' },
                'SELECT through_seq AS through, (SELECT max(seq) FROM records) AS top FROM rollups_state',
              );
              assert.ok(
                Number(state.through) > 0 && Number(state.through) < Number(state.top),
                `a tail beside folded records: ${JSON.stringify(state)}`,
              );
            }
            let rollups = 0;
            await fc.assert(
              fc.asyncProperty(servableArb, async (p) => {
                const res = await u.request('POST', '/api/records/analytics/', p);
                assert.equal(res.status, 200, JSON.stringify(res.body));
                const expect = expectedSource(p);
                assert.equal(res.body.source, expect, JSON.stringify(p));
                if (expect === 'rollup') rollups++;
                // The same request with a filter that holds for every record but is no dimension: always a scan.
                const scan = await u.request('POST', '/api/records/analytics/', {
                  ...p,
                  filters: { ...p.filters, field_18: { operator: 'gte', value: [100] } },
                });
                assert.equal(scan.body.source, 'scan');
                sameAnswer(res.body.results, scan.body.results, p);
              }),
              { numRuns: 60, seed: 31 },
            );
            assert.ok(rollups >= 15, `rollups answered ${rollups} of 60`);
          } finally {
            await u.close();
          }
        });
    });
  }

  // Migration 16 turned PostgreSQL's jsonb sketches (migration 12) into int4[] pairs: a store with records written by
  // the jsonb triggers keeps exact rollups through it, and its new triggers keep them exact after.
  describe('postgres: migration 16', { skip: !STORE_KINDS.includes('postgres') }, () => {
    test('jsonb sketches become pairs exactly, and writes and erasures after it keep them exact', async () => {
      const url = await freshSchemaUrl();
      const now = Date.now();
      const recs = fc.sample(recArb, { numRuns: 300, seed: 1616 });
      await withClient(url, async (c) => {
        await c.query('CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)');
        for (const m of POSTGRES_MIGRATIONS.filter((m) => m.version <= 15)) {
          await c.query(m.sql);
          await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, now]);
        }
        await c.query('INSERT INTO orgs (id, created_at) VALUES ($1, $2)', [TEST_ORG, now]);
        const encoded = recs.map((r) => encodeRecord(deriveRecord(body(r, now) as CreateInput, TEST_ORG)));
        await c.query({ ...INSERT_RECORDS, values: insertValues(encoded) });
        await c.query("DELETE FROM records WHERE field_10 = 'acme'");
        const { rows } = await c.query(
          "SELECT atttypid::regtype::text AS type FROM pg_attribute WHERE attrelid = 'rollups_day'::regclass AND attname = 'lat'",
        );
        assert.equal(rows[0].type, 'jsonb', 'written by the triggers of migration 12');
        const held = await c.query('SELECT count(*)::int AS n FROM rollups_hour WHERE lat IS NOT NULL');
        assert.ok(held.rows[0].n > 10, 'jsonb sketches to convert');
      });
      const t = await startTestApp('postgres', { TALLY_DATABASE_URL: url });
      // Migration 17's table starts empty on a store with records, marked not ready until a rebuild.
      const older = ROLLUP_TABLES.filter((x) => x.name !== 'rollups_customer_hour');
      try {
        await assertRollupsExact(t, 'after migration 16', older);
        const state = await sqlOnStore(t, { sqlite: '', postgres: '' }, 'SELECT ready, customer_hour FROM rollups_state');
        assert.deepEqual(state, [{ ready: true, customer_hour: false }]);
        const res = await t.request('POST', '/api/records/batch/', { records: recs.slice(0, 80).map((r) => body(r, now)) });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        const erased = await t.request('POST', '/api/records/erase/', { filters: { field_10: { operator: 'in', value: ['globex'] } } });
        assert.equal(erased.status, 200, JSON.stringify(erased.body));
        await assertRollupsExact(t, 'kept by the new triggers', older);
        await rebuildRollups(t.store);
        await assertRollupsExact(t, 'migration 17 filled by a rebuild');
      } finally {
        await t.close();
      }
    });
  });
});

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const execFileAsync = promisify(execFile);
/** Runs `npx tally ...` against a store; resolves with its exit code and output (60 s at most). */
const run = (args: string[], env: Record<string, string | undefined>) =>
  execFileAsync('npx', ['tally', ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err) => ({ code: err.code as number, stdout: err.stdout as string, stderr: err.stderr as string }),
  );

const DAY_MS = 24 * HOUR_MS;
/** Every measure of the contract (the parser's list, so a new measure is tested here too); the percentiles by name. */
const ALL_MEASURES: readonly string[] = MEASURES;
const PERCENTILES = new Set<string>(MEASURES.filter((m) => /_p\d+$/.test(m)));
/** Instants around the records' four days (from 27 March 2026, over Europe's change to summer time). */
const INSTANTS = [
  '2026-03-26T00:00:00Z',
  '2026-03-27T00:00:00Z',
  '2026-03-27T05:00:00Z',
  '2026-03-28T22:00:00Z',
  '2026-03-29T13:00:00Z',
  '2026-03-30T00:00:00Z',
  '2026-03-31T00:00:00Z',
  '2026-03-28T10:30:00Z',
];

interface Params {
  param_a: string;
  end: string;
  interval: string | null;
  tz: string;
  group_by: string[];
  measures: string[];
  order_by: string;
  limit: number;
  filters: Record<string, unknown>;
}

const servableArb = fc
  .record({
    range: fc.uniqueArray(fc.constantFrom(...INSTANTS), { minLength: 2, maxLength: 2 }),
    interval: fc.constantFrom(null, 'hour', 'day', 'week', 'month'),
    tz: fc.constantFrom('UTC', 'UTC', 'Europe/Berlin', 'Asia/Kolkata'),
    group_by: fc.constantFrom<string[]>(
      [],
      ['field_4'],
      ['field_3', 'status'],
      ['status', 'field_4'],
      ['field_10'],
      ['field_10', 'field_4'],
      ['status', 'field_10'],
      ['field_11'],
    ),
    measures: fc.uniqueArray(fc.constantFrom(...ALL_MEASURES), { minLength: 1, maxLength: 6 }),
    order: fc.nat(5),
    descending: fc.boolean(),
    limit: fc.constantFrom(1, 2, 100),
    filters: fc.constantFrom<Record<string, unknown>>(
      {},
      { field_4: { operator: '', value: ['gpt-4o'] } },
      { field_4: { operator: 'in', value: ['gpt-4o', 'no-such-model'] }, status: { operator: '', value: ['error'] } },
      { field_10: { operator: 'in', value: ['acme', 'initech'] } },
      { field_10: { operator: '', value: ['globex'] }, field_4: { operator: 'in', value: ['gpt-4o', 'no-such-model'] } },
      { field_3: { operator: 'isnull', value: false } },
    ),
  })
  .map(({ range, order, descending, measures, ...rest }): Params => {
    const [a, b] = [...range].sort();
    const measure = measures[order % measures.length];
    // Ranked by a percentile, groups near a tie may change places (a sketch's bin holds both): every group shown.
    const limit = PERCENTILES.has(measure) ? 1000 : rest.limit;
    return { ...rest, limit, measures, param_a: a, end: b, order_by: `${descending ? '-' : ''}${measure}` };
  });

const formats = new Map<string, Intl.DateTimeFormat>();
/** The calendar unit (in the zone) that holds an instant, as text. */
function unitOf(tz: string, interval: string, ms: number): string {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
    });
    formats.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, x.value]));
  if (interval === 'hour') return `${p.year}-${p.month}-${p.day}T${p.hour}`;
  if (interval === 'month') return `${p.year}-${p.month}`;
  const day = new Date(Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day)));
  if (interval === 'week') day.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7));
  return day.toISOString().slice(0, 10);
}

/**
 * Which source should answer (docs/analytics.md, "Which requests rollups serve"): a table whose dimensions hold every
 * group_by and filtered field, with filters it can tell, where the range's ends and every bucket boundary inside it
 * are whole hours (the hourly tables) or whole UTC days (the customer-day table, without percentiles). The hourly
 * customer table serves the customer with type, model and status on whole hours. Boundaries fall on the half hour
 * grid in these zones (Kolkata is 5:30 from UTC).
 */
function expectedSource(p: Params): 'rollup' | 'scan' {
  const dims = [...p.group_by, ...Object.keys(p.filters)];
  const told = !('field_3' in p.filters); // "isnull": false is no key a rollup row holds
  const [a, b] = [Date.parse(p.param_a), Date.parse(p.end)];
  const boundaries: number[] = [];
  if (p.interval !== null)
    for (let x = a + 30 * 60_000; x < b; x += 30 * 60_000)
      if (unitOf(p.tz, p.interval, x - 1) !== unitOf(p.tz, p.interval, x)) boundaries.push(x);
  const serves = (grain: number, own: string[]) =>
    told && dims.every((d) => own.includes(d)) && [a, b, ...boundaries].every((x) => x % grain === 0);
  // The customer table keeps no sketches: percentiles by customer are scans.
  const sketched = [...p.measures, p.order_by.replace('-', '')].some((m) => PERCENTILES.has(m));
  return serves(HOUR_MS, ['field_3', 'field_4', 'status']) ||
    (!sketched && serves(DAY_MS, ['field_10'])) ||
    serves(HOUR_MS, ['field_3', 'field_4', 'field_10', 'status'])
    ? 'rollup'
    : 'scan';
}

function sameAnswer(got: any[], want: any[], p: Params): void {
  const keyOf = (r: any) => JSON.stringify([r.bucket, r.group, r.other ?? false]);
  assert.equal(got.length, want.length, `rows of ${JSON.stringify(p)}`);
  const wanted = new Map(want.map((r) => [keyOf(r), r]));
  got.forEach((row, i) => {
    // In the scan's order, except under a percentile's order, where only the set of rows is the same.
    const w = PERCENTILES.has(p.order_by.replace('-', '')) ? wanted.get(keyOf(row)) : want[i];
    assert.ok(w, `row ${keyOf(row)} of ${JSON.stringify(p)}`);
    assert.equal(keyOf(row), keyOf(w));
    for (const m of p.measures) {
      const [a, b] = [row[m], w[m]];
      if (a === null || b === null) assert.equal(a, b, `${keyOf(row)} ${m}`);
      else {
        const tolerance = (PERCENTILES.has(m) ? 0.01 : 1e-9) * Math.max(Math.abs(b), 1e-300);
        assert.ok(Math.abs(a - b) <= tolerance, `${keyOf(row)} ${m}: ${a} ≠ ${b} (${JSON.stringify(p)})`);
      }
    }
  });
}
