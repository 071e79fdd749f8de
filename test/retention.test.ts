import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createKey } from '../src/bootstrap.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { RETENTION_BATCH, RETENTION_BUDGET_MS, RETENTION_MIN_BATCH, retentionBatchSize, runRetention } from '../src/records/retention.ts';
import { startTestApp, TEST_ORG, type TestApp } from './helpers/app.ts';
import { tallyCli } from './helpers/cli.ts';
import { STORE_KINDS } from './helpers/stores.ts';

/**
 * Retention (docs/lifecycle.md): TALLY_RETENTION_DAYS and a per-org override set by `tally orgs retention`; the
 * server deletes expired records (by timestamp) in short transactions, every count stays exact, and each org whose
 * records a run deleted gets one audit entry.
 */

const DAY = 24 * 60 * 60 * 1000;
const daysAgo = (d: number) => new Date(Date.now() - d * DAY).toISOString();
const f = (value: unknown, operator = '') => ({ operator, value: Array.isArray(value) ? value : [value] });

test('TALLY_RETENTION_DAYS: unset keeps forever; a whole number of days from 1; -1, 0 or text stop the start with a clear error', () => {
  assert.equal(loadConfig({}).retentionDays, null);
  assert.equal(loadConfig({ TALLY_RETENTION_DAYS: '30' }).retentionDays, 30);
  for (const bad of ['-1', '0', 'forever', '1.5', '100000'])
    assert.throws(
      () => loadConfig({ TALLY_RETENTION_DAYS: bad }),
      (err: Error) => err instanceof ConfigError && /TALLY_RETENTION_DAYS/.test(err.message) && err.message.includes(bad),
    );
});

test('the deletion transaction size follows a time budget: halved above it (to a floor), doubled under half of it (to a cap), else kept', () => {
  const over = RETENTION_BUDGET_MS + 1;
  const under = RETENTION_BUDGET_MS / 2 - 0.5;
  const between = (RETENTION_BUDGET_MS * 3) / 4;
  assert.equal(RETENTION_BATCH, 100);
  assert.equal(RETENTION_MIN_BATCH, 10);
  assert.equal(retentionBatchSize(100, over), 50);
  assert.equal(retentionBatchSize(50, over), 25);
  assert.equal(retentionBatchSize(25, over), 12);
  assert.equal(retentionBatchSize(12, over), 10, 'not under the floor');
  assert.equal(retentionBatchSize(10, 1000), 10);
  assert.equal(retentionBatchSize(10, under), 20);
  assert.equal(retentionBatchSize(40, 0), 80);
  assert.equal(retentionBatchSize(80, under), 100, 'not over the cap');
  assert.equal(retentionBatchSize(100, 0), 100);
  for (const size of [10, 25, 100]) {
    assert.equal(retentionBatchSize(size, between), size, 'within the budget: kept');
    assert.equal(retentionBatchSize(size, RETENTION_BUDGET_MS), size, 'at the budget: kept');
    assert.equal(retentionBatchSize(size, RETENTION_BUDGET_MS / 2), size, 'at half the budget: kept');
  }
  // From the cap, a slow store reaches the floor and a fast one comes back to the cap, in a few steps.
  let size = RETENTION_BATCH;
  for (let i = 0; i < 10; i++) size = retentionBatchSize(size, over);
  assert.equal(size, RETENTION_MIN_BATCH);
  for (let i = 0; i < 10; i++) size = retentionBatchSize(size, 0);
  assert.equal(size, RETENTION_BATCH);
});

for (const kind of STORE_KINDS) {
  describe(`retention [${kind}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind, { TALLY_RETENTION_DAYS: '30' });
    });
    after(() => t.close());

    const count = async (filters: unknown, auth?: Record<string, string>) => {
      const q = filters === null ? '' : `&filters=${encodeURIComponent(JSON.stringify(filters))}`;
      const res = await t.request('GET', `/api/records/list/?param_c=1${q}`, undefined, auth);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.count as number;
    };
    const batch = async (records: unknown[], auth?: Record<string, string>) => {
      for (let i = 0; i < records.length; i += 500)
        assert.equal((await t.request('POST', '/api/records/batch/', { records: records.slice(i, i + 500) }, auth)).status, 201);
    };

    test('a run deletes what is older than the retention in batches, keeps the rest, counts stay exact, one audit entry per org', async () => {
      const old = RETENTION_BATCH * 2 + 7; // more than one transaction's worth
      await batch(
        Array.from({ length: old }, (_, i) => ({
          timestamp: daysAgo(40 + (i % 5)),
          field_10: `c${i % 3}`,
          field_9: { env: i % 2 ? 'prod' : 'dev', n: i % 4 },
        })),
      );
      await batch(
        Array.from({ length: 9 }, (_, i) => ({ timestamp: daysAgo(29 - i), field_10: `c${i % 3}`, field_9: { env: 'prod', n: i % 4 } })),
      );
      // org_keep overrides to 60 days: its 40-day-old records stay. org_short overrides to 10: its 20-day-old ones go.
      const keep = { authorization: `Bearer ${await createKey(t.store, 'org_keep')}` };
      const short = { authorization: `Bearer ${await createKey(t.store, 'org_short')}` };
      await t.store.setRetention('org_keep', 60, { at: Date.now(), actor: 'test', action: 'retention_changed', details: '{"days":60}' });
      await t.store.setRetention('org_short', 10, { at: Date.now(), actor: 'test', action: 'retention_changed', details: '{"days":10}' });
      await batch([{ timestamp: daysAgo(40) }, { timestamp: daysAgo(1) }], keep);
      await batch(
        [
          { timestamp: daysAgo(20), field_9: { env: 'prod' } },
          { timestamp: daysAgo(1), field_9: { env: 'prod' } },
        ],
        short,
      );
      assert.equal(await count(null), old + 9);
      assert.equal(await count({ field_9__env: f('prod') }), Math.floor(old / 2) + 9); // a remembered or counter count

      const done = await t.app.retention.runNow();
      assert.deepEqual(
        done.map((d) => [d.orgId, d.count]).sort(),
        [
          ['org_short', 1],
          [TEST_ORG, old],
        ].sort(),
      );
      assert.equal(await count(null), 9);
      assert.equal(await count({ field_9__env: f('prod') }), 9);
      assert.equal(await count({ field_9__env: f('dev') }), 0);
      for (const n of [0, 1, 2, 3])
        assert.equal(await count({ field_9__n: f(n) }), [0, 1, 2, 3, 4, 5, 6, 7, 8].filter((i) => i % 4 === n).length);
      for (const c of ['c0', 'c1', 'c2']) assert.equal(await count({ field_10: f(c) }), 3);
      assert.equal(await count(null, keep), 2);
      assert.equal(await count(null, short), 1);
      assert.equal(await count({ field_9__env: f('prod') }, short), 1);
      const exported = await t.app.http.inject({
        method: 'GET',
        url: '/api/records/export/',
        headers: { authorization: `Bearer ${t.key}` },
      });
      assert.equal(exported.body.trim().split('\n').length, 9);

      const entry = (await t.request('GET', '/api/audit/')).body.results[0];
      assert.equal(entry.action, 'records_expired');
      assert.equal(entry.actor, 'cli');
      assert.equal(entry.details.count, old);
      assert.equal(entry.details.days, 30);
      assert.equal(
        (await t.request('GET', '/api/audit/', undefined, keep)).body.results.filter(
          (e: { action: string }) => e.action === 'records_expired',
        ).length,
        0,
      );

      assert.deepEqual(await t.app.retention.runNow(), [], 'a second run finds nothing to delete');
    });

    test('npx tally orgs retention: -1 is refused with nothing changed; n sets, 0 clears, each audited; the running server applies it within seconds', async () => {
      const tally = tallyCli(t.databaseUrl === null ? { TALLY_DATA_DIR: t.dataDir } : { TALLY_DATABASE_URL: t.databaseUrl });
      const auth = { authorization: `Bearer ${await createKey(t.store, 'org_cli_ret')}` };
      await batch([{ timestamp: daysAgo(8) }, { timestamp: daysAgo(3) }, { timestamp: daysAgo(0) }], auth);
      const audit = async () => (await t.request('GET', '/api/audit/', undefined, auth)).body.results;
      const before = (await audit()).length;

      for (const bad of [['--days', '-1'], ['--days', 'abc'], ['--days', '1.5'], []]) {
        const res = await tally('orgs', 'retention', '--org', 'org_cli_ret', ...bad);
        assert.notEqual(res.code, 0, `${bad.join(' ')}: ${res.stdout}`);
        assert.match(res.stderr, /--days/, res.stderr);
        if (bad[1]) assert.ok(res.stderr.includes(bad[1]), res.stderr);
      }
      assert.equal((await audit()).length, before, 'a refused command changes nothing');
      assert.equal((await t.store.orgRetention()).find((o) => o.orgId === 'org_cli_ret')?.days, null);

      const set = await tally('orgs', 'retention', '--org', 'org_cli_ret', '--days', '5');
      assert.equal(set.code, 0, set.stderr);
      assert.match(set.stdout, /org_cli_ret.*5 days/);
      // The newest change (newest first): the server may already have run the new retention and audited its deletion.
      const lastChange = async () => (await audit()).find((e: { action: string }) => e.action === 'retention_changed');
      const changed = await lastChange();
      assert.equal(changed.action, 'retention_changed');
      assert.equal(changed.actor, 'cli');
      assert.deepEqual(changed.details, { days: 5 });
      // The running server sees the change (polled every 5 s) and deletes the 8-day-old record: bounded wait.
      let left = -1;
      for (let i = 0; i < 100 && left !== 2; i++) {
        left = await count(null, auth);
        if (left !== 2) await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(left, 2, 'the server applied the new retention');

      const cleared = await tally('orgs', 'retention', '--org', 'org_cli_ret', '--days', '0');
      assert.equal(cleared.code, 0, cleared.stderr);
      assert.equal((await t.store.orgRetention()).find((o) => o.orgId === 'org_cli_ret')?.days, null);
      assert.deepEqual((await lastChange()).details, { days: null });
    });

    test('creates during a run (on SQLite, commits that carry slices of the deletion): every expired record goes, every create stays, counts exact', async () => {
      const auth = { authorization: `Bearer ${await createKey(t.store, 'org_busy')}` };
      const old = 400;
      await batch(
        Array.from({ length: old }, (_, i) => ({
          timestamp: daysAgo(15 + (i % 3)),
          field_10: `c${i % 3}`,
          field_9: { env: i % 2 ? 'prod' : 'dev' },
        })),
        auth,
      );
      // As if 20 days later (see below): the 15-day-old records expire for this run only.
      const run = runRetention(t.store, 30, () => false, Date.now() + 20 * DAY);
      const creates = 120;
      for (let i = 0; i < creates; i += 20)
        await Promise.all(
          Array.from({ length: 20 }, async (_, j) => {
            const body = { field_10: `c${(i + j) % 3}`, field_9: { env: (i + j) % 2 ? 'prod' : 'dev' } };
            assert.equal((await t.request('POST', '/api/records/create/', body, auth)).status, 201);
          }),
        );
      const done = await run;
      assert.equal(done.find((d) => d.orgId === 'org_busy')?.count, old);
      assert.equal(await count(null, auth), creates);
      assert.equal(await count({ field_9__env: f('prod') }, auth), creates / 2);
      assert.equal(await count({ field_9__env: f('dev') }, auth), creates / 2);
      for (const c of ['c0', 'c1', 'c2']) assert.equal(await count({ field_10: f(c) }, auth), creates / 3);
    });

    test('whatever sizes the time budget picks, a run deletes every expired record and no other; counts stay exact', async () => {
      const auth = { authorization: `Bearer ${await createKey(t.store, 'org_sizes')}` };
      const old = 137;
      await batch(
        Array.from({ length: old }, (_, i) => ({ timestamp: daysAgo(15 + (i % 3)), field_9: { env: i % 2 ? 'prod' : 'dev' } })),
        auth,
      );
      await batch(
        [
          { timestamp: daysAgo(5), field_9: { env: 'prod' } },
          { timestamp: daysAgo(1), field_9: { env: 'dev' } },
        ],
        auth,
      );
      // Run as if 20 days later, so that these 15-day-old records expire for this run only (the server's own runs, at
      // the real time, keep them); the rule alternates between the floor and the cap, as a loaded store would.
      const asked: number[] = [];
      const alternate = (size: number) => {
        asked.push(size);
        return size === RETENTION_MIN_BATCH ? RETENTION_BATCH : RETENTION_MIN_BATCH;
      };
      const done = await runRetention(t.store, 30, () => false, Date.now() + 20 * DAY, alternate);
      assert.equal(done.find((d) => d.orgId === 'org_sizes')?.count, old);
      // SQLite paces its own deletion (slices of the writer's commits, expiry.ts): the rule is not asked there.
      if (t.store.expiryPaced) assert.deepEqual(asked, []);
      else assert.ok(asked.includes(RETENTION_MIN_BATCH) && asked.includes(RETENTION_BATCH), `sizes asked: ${asked.join(',')}`);
      assert.equal(await count(null, auth), 2);
      assert.equal(await count({ field_9__env: f('prod') }, auth), 1);
      assert.equal(await count({ field_9__env: f('dev') }, auth), 1);
    });
  });
}
