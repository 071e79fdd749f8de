import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import path from 'node:path';
import { describe, test } from 'node:test';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { within } from './helpers/http.ts';
import { startProxy } from './helpers/pg-proxy.ts';
import { POSTGRES_AVAILABLE, freshSchemaUrl } from './helpers/stores.ts';

/**
 * Sync creates are answered promptly during a store outage whatever the accepted backlog (issue 14, item 3).
 * Reported: once 1,000 or more accepted records were retrying, every flush took the first 1,000 queued, so a sync
 * create never got into a commit and never got an answer.
 */

const BACKLOG = 1100;

/** The outage scenario on an app whose store is cut off by `cut` and given back by `restore`. */
async function backlogDuringOutage(t: TestApp, cut: () => Promise<void>, restore: () => Promise<void>): Promise<void> {
  assert.equal((await t.request('POST', '/api/records/create/', { field_2: 'before the outage' })).status, 201); // the key is known from here on
  await cut();
  const accepted: string[] = [];
  for (let i = 0; i < BACKLOG; i += 100) {
    const replies = await Promise.all(
      Array.from({ length: 100 }, (_, j) =>
        t.request('POST', '/api/records/create/', { field_2: `backlog ${i + j}`, field_21: { option_a: false } }),
      ),
    );
    for (const r of replies) {
      assert.equal(r.status, 202, JSON.stringify(r.body));
      accepted.push(r.body.id);
    }
  }
  assert.ok(t.app.queue.depth() >= BACKLOG, `queued: ${t.app.queue.depth()}`);
  const sync = await within(
    t.request('POST', '/api/records/create/', { field_2: 'sync during outage' }),
    30_000,
    'a sync create behind the backlog',
  );
  assert.equal(sync.status, 503, JSON.stringify(sync.body));
  assert.equal(sync.body.error.code, 'store_unavailable');
  assert.equal(sync.headers['retry-after'], '1');
  const ready = await t.request('GET', '/readyz');
  assert.equal(ready.status, 503, 'not ready while commits fail');
  await restore();
  await within(t.app.queue.drain(), 60_000, 'the backlog drain after the outage');
  const listed = await t.request('POST', '/api/records/list/', {
    filters: { field_2: { operator: 'startswith', value: ['backlog '] } },
    param_c: 1,
  });
  assert.equal(listed.body.count, BACKLOG, 'every accepted record is stored once the store is back');
  assert.equal((await t.request('GET', `/api/records/${accepted[BACKLOG - 1]}/`)).status, 200);
  const after = await within(
    t.request('POST', '/api/records/create/', { field_2: 'sync after outage' }),
    30_000,
    'a sync create after the outage',
  );
  assert.equal(after.status, 201);
  assert.equal((await t.request('GET', '/readyz')).status, 200);
}

describe('sync creates during an outage, behind 1,100 retrying accepted records', () => {
  test('[sqlite] the file locked by another connection: the sync create is answered 503 at once, the backlog commits later', {
    timeout: 180_000,
  }, async () => {
    const t = await startTestApp('sqlite');
    const other = new Database(path.join(t.dataDir, 'tally.db'));
    try {
      await backlogDuringOutage(
        t,
        async () => void other.exec('BEGIN IMMEDIATE'), // the writer's commits wait 5 s for the lock, then fail SQLITE_BUSY
        async () => void other.exec('ROLLBACK'),
      );
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
      await t.close();
    }
  });

  test('[postgres] the connection cut: the sync create is answered 503 at once, the backlog commits later', {
    skip: POSTGRES_AVAILABLE ? false : 'PostgreSQL is not reachable',
    timeout: 180_000,
  }, async () => {
    const direct = new URL(await freshSchemaUrl());
    const proxy = await startProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    const viaProxy = new URL(direct);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    const t = await startTestApp('postgres', { TALLY_DATABASE_URL: viaProxy.toString() });
    try {
      await backlogDuringOutage(
        t,
        () => proxy.cut(),
        () => proxy.restore(),
      );
    } finally {
      await proxy.restore();
      await t.close();
      await proxy.cut();
    }
  });
});

describe('readiness after a failed commit with nothing left to retry', () => {
  test('[postgres] /readyz is 503 right after a sync create fails, and 200 again once the store is back, with no write since', {
    skip: POSTGRES_AVAILABLE ? false : 'PostgreSQL is not reachable',
    timeout: 120_000,
  }, async () => {
    // A probe that takes the server out of traffic must not wait for a write that only traffic would bring.
    const direct = new URL(await freshSchemaUrl());
    const proxy = await startProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    const viaProxy = new URL(direct);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    const t = await startTestApp('postgres', { TALLY_DATABASE_URL: viaProxy.toString() });
    try {
      assert.equal((await t.request('POST', '/api/records/create/', { field_2: 'warm' })).status, 201);
      await proxy.cut();
      assert.equal((await t.request('POST', '/api/records/create/', { field_2: 'during' })).status, 503);
      await proxy.restore();
      assert.equal((await t.request('GET', '/readyz')).status, 503, 'the store pings, but the last commit failed a moment ago');
      const deadline = Date.now() + 30_000;
      let status = 503;
      while (status !== 200 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        status = (await t.request('GET', '/readyz')).status;
      }
      assert.equal(status, 200, 'ready again without a write');
    } finally {
      await proxy.restore();
      await t.close();
      await proxy.cut();
    }
  });
});
