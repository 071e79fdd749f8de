import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { hashApiKey } from '../src/auth/keys.ts';
import { IDEMPOTENCY_TTL_MS } from '../src/store/encoded-record.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { sqlOnStore } from './helpers/store-sql.ts';
import { STORE_KINDS } from './helpers/stores.ts';

/**
 * Idempotency-Key on create and batch (issue 14, item 8): the same key and body within 24 h answer the first
 * outcome and never store a second record; the same key with another request is a 409. Reported: under an
 * immediate PostgreSQL shutdown, 2 of 2,502 creates answered 503 had been stored, so a client's retry duplicated them.
 */

const OTHER_KEY = 'idem-other-org-key-0123456789';

for (const kind of STORE_KINDS) {
  describe(`Idempotency-Key [${kind}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
      await t.store.ensureApiKey('org_idem_other', hashApiKey(OTHER_KEY));
    });
    after(() => t.close());
    const post = (url: string, body: unknown, key?: string, auth?: string) =>
      t.request('POST', url, body, {
        ...(key !== undefined ? { 'idempotency-key': key } : {}),
        ...(auth ? { authorization: `Bearer ${auth}` } : {}),
      });
    const countOf = async (field_2: string, auth?: string) =>
      (
        await t.request(
          'POST',
          '/api/records/list/',
          { filters: { field_2: { operator: '', value: [field_2] } } },
          auth ? { authorization: `Bearer ${auth}` } : {},
        )
      ).body.count;

    test('a repeat answers the first outcome (Idempotent-Replayed) and stores nothing twice', async () => {
      const body = { field_2: 'idem once', field_4: 'gpt-4o', field_5: { sub_field_a: 3, sub_field_b: 4 } };
      const first = await post('/api/records/create/', body, 'key-create-1');
      assert.equal(first.status, 201);
      assert.equal(first.headers['idempotent-replayed'], undefined);
      const again = await post('/api/records/create/', body, 'key-create-1');
      assert.equal(again.status, 201);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.deepEqual(again.body, first.body);
      assert.equal(await countOf('idem once'), 1);
    });

    test('the same key with another body, or on the other route, is 409 idempotency_conflict and stores nothing', async () => {
      assert.equal((await post('/api/records/create/', { field_2: 'idem a' }, 'key-conflict')).status, 201);
      const other = await post('/api/records/create/', { field_2: 'idem b' }, 'key-conflict');
      assert.equal(other.status, 409);
      assert.equal(other.body.error.code, 'idempotency_conflict');
      assert.deepEqual(
        other.body.error.details.map((d: { field: string }) => d.field),
        ['Idempotency-Key'],
      );
      assert.equal(await countOf('idem b'), 0);
      const batch = await post('/api/records/batch/', { records: [{ field_2: 'idem a' }] }, 'key-conflict'); // valid, but another route
      assert.equal(batch.status, 409);
    });

    test('many at once with one key: one record, every answer the same', async () => {
      const body = { field_2: 'idem concurrent' };
      const replies = await Promise.all(Array.from({ length: 12 }, () => post('/api/records/create/', body, 'key-concurrent')));
      const ids = new Set(replies.map((r) => r.body.id));
      assert.equal(ids.size, 1, JSON.stringify(replies.map((r) => [r.status, r.body.id ?? r.body.error?.code])));
      assert.ok(replies.every((r) => r.status === 201));
      assert.equal(replies.filter((r) => r.headers['idempotent-replayed'] === undefined).length, 1);
      assert.equal(await countOf('idem concurrent'), 1);
    });

    test('an accepted (202) create repeated before and after its commit answers 202 with the same record', async () => {
      const body = { field_2: 'idem async', field_21: { option_a: false } };
      const first = await post('/api/records/create/', body, 'key-async');
      const early = await post('/api/records/create/', body, 'key-async'); // before the commit, from memory
      await t.app.queue.drain();
      const late = await post('/api/records/create/', body, 'key-async'); // after it, from the store
      for (const r of [first, early, late]) assert.equal(r.status, 202);
      assert.equal(early.body.id, first.body.id);
      assert.deepEqual(late.body, first.body);
      assert.equal(await countOf('idem async'), 1);
    });

    test('a batch repeat answers the same ids; keys belong to one org', async () => {
      const body = { records: [{ field_2: 'idem batch 1' }, { field_2: 'idem batch 2' }] };
      const first = await post('/api/records/batch/', body, 'key-batch');
      const again = await post('/api/records/batch/', body, 'key-batch');
      assert.equal(first.status, 201);
      assert.equal(again.status, 201);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.deepEqual(again.body, first.body);
      assert.equal(await countOf('idem batch 1'), 1);
      const otherOrg = await post('/api/records/batch/', body, 'key-batch', OTHER_KEY);
      assert.equal(otherOrg.status, 201);
      assert.notDeepEqual(otherOrg.body.ids, first.body.ids);
      assert.equal(await countOf('idem batch 1', OTHER_KEY), 1);
    });

    test('a failed request is not remembered: after a 400, the same key works', async () => {
      const bad = await post('/api/records/create/', { field_2: 'idem retry', field_18: 9999 }, 'key-after-failure');
      assert.equal(bad.status, 400);
      const good = await post('/api/records/create/', { field_2: 'idem retry' }, 'key-after-failure');
      assert.equal(good.status, 201);
      assert.equal(good.headers['idempotent-replayed'], undefined);
    });

    test('a key that is not 1-255 visible ASCII characters is a 400 naming the header, and nothing is stored', async () => {
      for (const key of ['x'.repeat(256), 'has space', 'tab\there']) {
        const r = await post('/api/records/create/', { field_2: 'idem bad key' }, key);
        assert.equal(r.status, 400, key);
        assert.equal(r.body.error.code, 'validation_error');
        assert.equal(r.body.error.details[0].field, 'Idempotency-Key');
      }
      assert.equal(await countOf('idem bad key'), 0);
    });

    test('a key is remembered for 24 hours, then it starts afresh; expired keys are purged in bounded chunks', async () => {
      const first = await post('/api/records/create/', { field_2: 'idem expiry' }, 'key-expiry');
      const day = IDEMPOTENCY_TTL_MS + 1000;
      const aged = `UPDATE idempotency_keys SET created_at = created_at - ${day} WHERE key = 'key-expiry'`;
      await sqlOnStore(t, { sqlite: aged, postgres: aged });
      const later = await post('/api/records/create/', { field_2: 'idem expiry' }, 'key-expiry');
      assert.equal(later.status, 201);
      assert.equal(later.headers['idempotent-replayed'], undefined);
      assert.notEqual(later.body.id, first.body.id);
      const again = await post('/api/records/create/', { field_2: 'idem expiry' }, 'key-expiry'); // the new row holds it
      assert.equal(again.body.id, later.body.id);

      for (let i = 0; i < 5; i++)
        assert.equal((await post('/api/records/create/', { field_2: `idem purge ${i}` }, `key-purge-${i}`)).status, 201);
      const old = `UPDATE idempotency_keys SET created_at = created_at - ${day} WHERE key LIKE 'key-purge-%'`;
      await sqlOnStore(t, { sqlite: old, postgres: old });
      const cutoff = Date.now() - IDEMPOTENCY_TTL_MS;
      assert.equal(await t.store.purgeIdempotencyKeys(cutoff, 3), 3);
      assert.equal(await t.store.purgeIdempotencyKeys(cutoff, 3), 2);
      assert.equal(await t.store.purgeIdempotencyKeys(cutoff, 3), 0);
      assert.ok(await t.store.idempotencyKey('org_test', 'key-expiry'), 'unexpired keys are kept');
    });
  });

  test(`Idempotency-Key [${kind}]: a retry to a restarted server (or another process on the store) finds the first outcome`, async () => {
    // The key is stored in the record's own transaction: whatever the client heard (a 503 whose commit landed, a
    // lost reply), a retry that reaches any process afterwards answers the stored outcome and writes nothing.
    const first = await startTestApp(kind);
    const body = { field_2: 'idem across processes' };
    const created = await first.request('POST', '/api/records/create/', body, { 'idempotency-key': 'key-restart' });
    assert.equal(created.status, 201);
    const env: Record<string, string> = first.databaseUrl ? { TALLY_DATABASE_URL: first.databaseUrl } : { TALLY_DATA_DIR: first.dataDir };
    let second: TestApp;
    if (first.databaseUrl) {
      second = await startTestApp(kind, env); // another process on the same PostgreSQL schema, beside the first
    } else {
      await first.app.close(); // SQLite: the same file, after a restart
      second = await startTestApp(kind, env);
    }
    try {
      const retried = await second.request('POST', '/api/records/create/', body, { 'idempotency-key': 'key-restart' });
      assert.equal(retried.status, 201);
      assert.equal(retried.headers['idempotent-replayed'], 'true');
      assert.deepEqual(retried.body, created.body);
      const listed = await second.request('POST', '/api/records/list/', { filters: { field_2: { operator: '', value: [body.field_2] } } });
      assert.equal(listed.body.count, 1);
    } finally {
      await second.close();
      if (first.databaseUrl) await first.close();
      else fs.rmSync(first.dataDir, { recursive: true, force: true });
    }
  });
}

test('Idempotency-Key [postgres]: one key sent to two processes at once stores one record, and both answer it', {
  skip: STORE_KINDS.includes('postgres') ? false : 'PostgreSQL is not reachable',
}, async () => {
  // Neither process knows the other's request in flight: the store's key row, claimed in the insert's transaction,
  // decides, and the loser answers the winner's record.
  const a = await startTestApp('postgres');
  const b = await startTestApp('postgres', { TALLY_DATABASE_URL: a.databaseUrl! });
  try {
    for (let round = 0; round < 5; round++) {
      const body = { field_2: `idem race ${round}` };
      const headers = { 'idempotency-key': `key-race-${round}` };
      const [ra, rb] = await Promise.all([
        a.request('POST', '/api/records/create/', body, headers),
        b.request('POST', '/api/records/create/', body, headers),
      ]);
      assert.deepEqual([ra.status, rb.status], [201, 201], JSON.stringify([ra.body, rb.body]));
      assert.equal(ra.body.id, rb.body.id);
      const listed = await a.request('POST', '/api/records/list/', { filters: { field_2: { operator: '', value: [body.field_2] } } });
      assert.equal(listed.body.count, 1);
    }
  } finally {
    await b.close();
    await a.close();
  }
});
