import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createKey } from '../src/bootstrap.ts';
import { parseFilters } from '../src/query/filters.ts';
import { deriveRecord } from '../src/records/derive.ts';
import { TIMESTAMP_COLUMN } from '../src/store/columns.ts';
import { encodeRecord } from '../src/store/encoded-record.ts';
import { whereSql } from '../src/store/sql/where.ts';
import { sqliteDialect } from '../src/store/sqlite/dialect.ts';
import { createEraser, ERASE_COLUMNS, type EraseRequest } from '../src/store/sqlite/erase.ts';
import { registerFunctions } from '../src/store/sqlite/functions.ts';
import { createInserter } from '../src/store/sqlite/insert.ts';
import { openSqlite } from '../src/store/sqlite/open.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { STORE_KINDS } from './helpers/stores.ts';

/**
 * POST /api/records/erase/ (docs/lifecycle.md): an admin key erases the records of its org that the filters match,
 * and the filters must narrow to a customer, thread, custom id or trace. Records stop being append-only, so every
 * count kept beside them (per org, per metadata value, remembered) must stay exact: a property test mixes creates,
 * batches and erasures and compares every count with the records a model says are left.
 */

const CUSTOMERS = ['c0', 'c1', 'c2'];
const THREADS = ['t0', 't1'];
// Raw JSON texts, so that 1.0 and -0 reach the server as written (one value with 1 and 0 for the counters).
const VALUES = ['"a"', '"b"', '1', '1.0', '-0', '0', 'true', 'null', '2.5', '"1"'];

type Rec = { customer: string; thread: string; env: string | null; old: boolean };
const recArb: fc.Arbitrary<Rec> = fc.record({
  customer: fc.constantFrom(...CUSTOMERS),
  thread: fc.constantFrom(...THREADS),
  env: fc.option(fc.constantFrom(...VALUES), { nil: null }),
  old: fc.boolean(),
});
type Action =
  | { kind: 'create'; org: number; rec: Rec }
  | { kind: 'batch'; org: number; recs: Rec[] }
  | { kind: 'expire'; org: number }
  | {
      kind: 'erase';
      org: number;
      by: 'customer' | 'customers' | 'thread' | 'customer+env';
      customer: string;
      other: string;
      thread: string;
      env: string;
    };
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), org: fc.nat(1), rec: recArb }),
  fc.record({ kind: fc.constant('batch' as const), org: fc.nat(1), recs: fc.array(recArb, { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('expire' as const), org: fc.nat(1) }),
  fc.record({
    kind: fc.constant('erase' as const),
    org: fc.nat(1),
    by: fc.constantFrom('customer' as const, 'customers' as const, 'thread' as const, 'customer+env' as const),
    customer: fc.constantFrom(...CUSTOMERS),
    other: fc.constantFrom(...CUSTOMERS),
    thread: fc.constantFrom(...THREADS),
    env: fc.constantFrom(...VALUES),
  }),
);

/** A filter of the list's grammar. */
const f = (value: unknown, operator = '') => ({ operator, value: Array.isArray(value) ? value : [value] });
const sameScalar = (a: unknown, b: unknown) => typeof a === typeof b && a === b; // JSON.parse: 1.0 === 1, -0 === 0
const OLD = new Date(Date.now() - 40 * 24 * 60 * 60 * 1000).toISOString();
const body = (r: Rec) =>
  `{${r.old ? `"timestamp":"${OLD}",` : ''}"field_1":"hello ${r.customer}","field_10":"${r.customer}","field_11":"${r.thread}"${r.env === null ? '' : `,"field_9":{"env":${r.env}}`}}`;

for (const kind of STORE_KINDS) {
  describe(`erasure [${kind}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(() => t.close());

    const count = async (filters: unknown, auth?: Record<string, string>) => {
      const q = filters === null ? '' : `&filters=${encodeURIComponent(JSON.stringify(filters))}`;
      const res = await t.request('GET', `/api/records/list/?param_c=1${q}`, undefined, auth);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.count as number;
    };

    test('a refused erasure (no narrowing condition, bad body, bad filter) is a 400 naming the problem and erases nothing', async () => {
      await t.createMany(6, (i) => ({ field_1: 'kept', field_10: `refused-${i % 2}`, field_11: 'th', field_9: { env: 'x' } }));
      const before = await count(null);
      const audit = (await t.request('GET', '/api/audit/')).body.results.length;
      const refusals: [unknown, RegExp][] = [
        [{}, /filters/],
        [{ filters: {} }, /field_10, field_11, field_12, field_13/],
        [{ filters: { field_1: f('kept') } }, /field_10/],
        [{ filters: { field_9__env: f('x') } }, /field_10/],
        [{ filters: { field_10: f('refused-0', 'not') } }, /field_10/],
        [{ filters: { field_10: f('refused', 'icontains') } }, /field_10/],
        [{ filters: { field_10: f(false, 'isnull') } }, /field_10/],
        [{ filters: { field_10: f('refused-0'), nope: f(1) } }, /nope/],
        [{ filters: { field_10: f(null) } }, /field_10/],
        [{ filters: { field_10: f('refused-0', 'bogus') } }, /bogus/],
        [{ filters: { field_10: f('refused-0') }, extra: true }, /extra/],
        [{ filters: 'field_10=refused-0' }, /filters/],
        [[], /object/],
      ];
      for (const [sent, message] of refusals) {
        const res = await t.request('POST', '/api/records/erase/', sent);
        assert.equal(res.status, 400, `${JSON.stringify(sent)}: ${JSON.stringify(res.body)}`);
        assert.match(res.body.error.message, message, JSON.stringify(sent));
      }
      // A query parameter would narrow nothing: refused, not ignored, with a body that alone would erase.
      for (const query of ['param_a=2030-01-01T00:00:00Z', 'dry_run=true']) {
        const res = await t.request('POST', `/api/records/erase/?${query}`, { filters: { field_10: f('refused-0') } });
        assert.equal(res.status, 400, `${query}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.code, 'invalid_query_parameter');
        assert.equal(res.body.error.details[0].field, query.split('=')[0]);
      }
      assert.equal(await count(null), before);
      assert.equal((await t.request('GET', '/api/audit/')).body.results.length, audit, 'a refused erasure writes no audit entry');
    });

    test('a customer erasure answers the count, removes the records from retrieve, list, summary and analytics, and is audited', async () => {
      const gone = await t.create({ field_1: 'erase me', field_10: 'cust-e', field_9: { plan: 'pro' } });
      await t.create({ field_1: 'erase me too', field_10: 'cust-e', field_13: 'trace-1' });
      const kept = await t.create({ field_1: 'keep me', field_10: 'cust-k', field_9: { plan: 'pro' } });
      const other = await createKey(t.store, 'org_erase_other');
      const otherAuth = { authorization: `Bearer ${other}` };
      assert.equal((await t.request('POST', '/api/records/create/', { field_10: 'cust-e' }, otherAuth)).status, 201);
      const summaryBefore = (await t.request('GET', '/api/records/summary/')).body;

      const res = await t.request('POST', '/api/records/erase/', { filters: { field_10: f('cust-e') } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body, { count: 2 });
      assert.equal((await t.request('GET', `/api/records/${gone.id}/`)).status, 404);
      assert.equal((await t.request('GET', `/api/records/${kept.id}/`)).status, 200);
      assert.equal(await count({ field_10: f('cust-e') }), 0);
      assert.equal(await count({ field_9__plan: f('pro') }), 1);
      assert.equal(await count({ field_10: f('cust-e') }, otherAuth), 1, "another org's records are not the caller's to erase");
      const summaryAfter = (await t.request('GET', '/api/records/summary/')).body;
      assert.notDeepEqual(summaryAfter, summaryBefore);
      assert.equal(JSON.stringify(summaryAfter).includes('"count":'), JSON.stringify(summaryBefore).includes('"count":'));

      const entry = (await t.request('GET', '/api/audit/')).body.results[0];
      assert.equal(entry.action, 'records_erased');
      assert.equal(entry.details.count, 2);
      assert.deepEqual(entry.details.filters, { field_10: f('cust-e') });
      assert.match(entry.actor, /^key_/);

      // Again: nothing left to erase, answered 0 (and audited as such).
      assert.deepEqual((await t.request('POST', '/api/records/erase/', { filters: { field_10: f('cust-e') } })).body, { count: 0 });
      // By trace, by custom id and by thread, with "in", and with further conditions that narrow it more.
      await t.create({ field_10: 'x', field_12: 'cid-1', field_11: 'thr-1', field_13: 'tr-9' });
      await t.create({ field_10: 'y', field_12: 'cid-2', field_11: 'thr-1', field_13: 'tr-9', field_1: 'needle' });
      const erase = async (filters: unknown) => (await t.request('POST', '/api/records/erase/', { filters })).body.count;
      assert.equal(await erase({ field_13: f('tr-9'), field_1: f('NEEDLE', 'icontains') }), 1);
      assert.equal(await erase({ field_12: f(['cid-1', 'cid-2', 'cid-3'], 'in') }), 1);
      assert.equal(await erase({ field_11: f('thr-1') }), 0);
    });

    test('property: counts stay exact under creates, batches, erasures and retention runs', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(actionArb, { minLength: 1, maxLength: 10 }), async (actions) => {
          run++;
          const orgs = [`org_p${run}_a`, `org_p${run}_b`];
          const auth = await Promise.all(orgs.map(async (o) => ({ authorization: `Bearer ${await createKey(t.store, o)}` })));
          const model: Rec[][] = [[], []];
          for (const a of actions) {
            if (a.kind === 'create') {
              assert.equal((await t.request('POST', '/api/records/create/', body(a.rec), auth[a.org])).status, 201);
              model[a.org].push(a.rec);
            } else if (a.kind === 'batch') {
              const res = await t.request('POST', '/api/records/batch/', `{"records":[${a.recs.map(body).join(',')}]}`, auth[a.org]);
              assert.equal(res.status, 201);
              model[a.org].push(...a.recs);
            } else if (a.kind === 'expire') {
              // A retention run (retention.ts) with the org's override at 30 days: its 40-day-old records go. Cleared
              // and run again, so that no run the override started is still going when the next action begins.
              const audit = { at: Date.now(), actor: 'test', action: 'retention_changed' };
              await t.store.setRetention(orgs[a.org], 30, { ...audit, details: '{"days":30}' });
              const done = await t.app.retention.runNow();
              await t.store.setRetention(orgs[a.org], null, { ...audit, details: '{"days":null}' });
              await t.app.retention.runNow();
              const expired = model[a.org].filter((r) => r.old).length;
              assert.equal(done.find((d) => d.orgId === orgs[a.org])?.count ?? 0, expired);
              model[a.org] = model[a.org].filter((r) => !r.old);
            } else {
              const envValue = JSON.parse(a.env);
              const [filters, hit]: [unknown, (r: Rec) => boolean] =
                a.by === 'customer'
                  ? [{ field_10: f(a.customer) }, (r) => r.customer === a.customer]
                  : a.by === 'customers'
                    ? [{ field_10: f([a.customer, a.other], 'in') }, (r) => r.customer === a.customer || r.customer === a.other]
                    : a.by === 'thread'
                      ? [{ field_11: f(a.thread) }, (r) => r.thread === a.thread]
                      : [
                          { field_10: f(a.customer), field_9__env: f(envValue) },
                          (r) => r.customer === a.customer && r.env !== null && sameScalar(JSON.parse(r.env), envValue),
                        ];
              const res = await t.request('POST', '/api/records/erase/', { filters }, auth[a.org]);
              assert.equal(res.status, 200, JSON.stringify(res.body));
              assert.equal(res.body.count, model[a.org].filter(hit).length, `erase ${JSON.stringify(filters)}`);
              model[a.org] = model[a.org].filter((r) => !hit(r));
            }
            for (const [i, recs] of model.entries()) {
              const n = async (filters: unknown) => count(filters, auth[i]);
              assert.equal(await n(null), recs.length, 'the unfiltered count');
              for (const c of CUSTOMERS) assert.equal(await n({ field_10: f(c) }), recs.filter((r) => r.customer === c).length, c);
              // A scan count, remembered on SQLite (count-memo.ts): asked twice, the second from the memo.
              for (let twice = 0; twice < 2; twice++)
                assert.equal(await n({ field_1: f('HELLO C1', 'icontains') }), recs.filter((r) => r.customer === 'c1').length);
              for (const v of ['"a"', '1', '0', 'true', 'null', '"1"']) {
                const wanted = JSON.parse(v);
                const expected = recs.filter((r) => r.env !== null && sameScalar(JSON.parse(r.env), wanted)).length;
                assert.equal(await n({ field_9__env: f(wanted) }), expected, `field_9__env = ${v}`);
              }
              assert.equal(
                await n({ field_9__env: f(['a', 2.5], 'in') }),
                recs.filter((r) => r.env !== null && ['a', 2.5].some((w) => sameScalar(JSON.parse(r.env!), w))).length,
              );
            }
          }
        }),
        { numRuns: 12, seed: 20261206 },
      );
    });

    if (kind === 'sqlite') {
      test('SQLite: record_meta has no row of an erased record, and every counter equals a recount', () => {
        const db = new Database(path.join(t.dataDir, 'tally.db'), { readonly: true });
        try {
          assert.equal(
            (db.prepare('SELECT count(*) AS n FROM record_meta WHERE seq NOT IN (SELECT seq FROM records)').get() as { n: number }).n,
            0,
          );
          const same = (rows: unknown[]) => (rows as { v: unknown }[]).map((r) => ({ ...r, v: r.v === 0 ? 0 : r.v }));
          assert.deepEqual(
            same(db.prepare('SELECT org_id, k, t, v, n FROM meta_value_counts ORDER BY org_id, k, t, v').all()),
            same(
              db
                .prepare(
                  'SELECT org_id, k, t, v, count(*) AS n FROM record_meta GROUP BY org_id, k, t, v HAVING n >= 2 ORDER BY org_id, k, t, v',
                )
                .all(),
            ),
          );
          assert.deepEqual(
            db.prepare('SELECT org_id, n FROM org_record_counts WHERE n > 0 ORDER BY org_id').all(),
            db.prepare('SELECT org_id, count(*) AS n FROM records GROUP BY org_id ORDER BY org_id').all(),
          );
        } finally {
          db.close();
        }
      });
    }
  });
}

describe('SQLite: an erasure whose records a reader found first', () => {
  const make = (org: string, customer: string) =>
    encodeRecord(deriveRecord({ field_2: 'x', field_10: customer, field_9: { env: customer } }, org));
  const ORG = 'org_found';

  test('deletes the records still matching plus those committed since; after a deletion in between, selects them again', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-erase-'));
    const db = openSqlite(path.join(dir, 'tally.db'));
    registerFunctions(db);
    try {
      const insert = createInserter(db);
      const erase = createEraser(db);
      const params: unknown[] = [];
      const where = `(${whereSql(sqliteDialect, params, ORG, null, parseFilters({ field_10: f('x') }), TIMESTAMP_COLUMN, false)})`;
      const request = (found: EraseRequest['found']): EraseRequest => ({
        select: { sql: `SELECT ${ERASE_COLUMNS} FROM records WHERE ${where}`, params, named: { org: ORG } },
        found,
      });
      const snapshot = () => ({
        seqs: db
          .prepare(`SELECT seq FROM records WHERE ${where}`)
          .pluck()
          .all(...params, { org: ORG }) as number[],
        top: (db.prepare('SELECT max(seq) FROM records').pluck().get() as number) ?? 0,
        changes: db.prepare('SELECT n FROM records_changes').pluck().get() as number,
      });
      const left = () => db.prepare('SELECT field_10 AS c, count(*) AS n FROM records GROUP BY field_10 ORDER BY c').all();

      // Found, then one more match committed before the erasure runs: both go, the other customer stays.
      insert([make(ORG, 'x'), make(ORG, 'y'), make(ORG, 'x')]);
      const early = snapshot();
      insert([make(ORG, 'x'), make(ORG, 'y')]);
      assert.equal(erase(request({ snapshot: early, where, params })), 3);
      assert.deepEqual(left(), [{ c: 'y', n: 2 }]);

      // Found; then the top record is deleted and its seq taken by a new match: the snapshot is stale (records_changes
      // moved), so the erasure selects again and misses nothing.
      insert([make(ORG, 'x'), make(ORG, 'y')]); // the top record is not a match: not among the seqs found
      const stale = snapshot();
      const top = stale.top;
      db.prepare('DELETE FROM records WHERE seq = ?').run(top); // by hand: what a retention run could do to the "y"
      db.prepare('DELETE FROM record_meta WHERE seq = ?').run(top);
      db.prepare('UPDATE org_record_counts SET n = n - 1 WHERE org_id = ?').run(ORG);
      insert([make(ORG, 'x')]);
      assert.equal(db.prepare('SELECT max(seq) FROM records').pluck().get(), top, 'the seq was taken again');
      assert.equal(erase(request({ snapshot: stale, where, params })), 2);
      assert.deepEqual(left(), [{ c: 'y', n: 2 }]);
      assert.deepEqual(db.prepare('SELECT n FROM org_record_counts WHERE org_id = ?').pluck().all(ORG), [2]);
    } finally {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
