import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hashApiKey } from '../src/auth/keys.ts';
import { createKey } from '../src/bootstrap.ts';
import { loadConfig } from '../src/config.ts';
import { startTestApp, TEST_KEY, TEST_ORG, type TestApp } from './helpers/app.ts';
import { STORE_KINDS } from './helpers/stores.ts';

for (const kind of STORE_KINDS) {
  describe(`auth and tenancy [${kind}]`, () => {
    let t: TestApp;
    let otherKey: string;
    let mine: any;
    let theirs: any;
    before(async () => {
      t = await startTestApp(kind);
      otherKey = await createKey(t.store, 'org_other');
      mine = (await t.request('POST', '/api/records/create/', { field_10: 'shared-customer', field_9: { k: 'v' } })).body;
      theirs = (
        await t.request(
          'POST',
          '/api/records/create/',
          { field_10: 'shared-customer', field_9: { k: 'v' } },
          { authorization: `Bearer ${otherKey}` },
        )
      ).body;
    });
    after(() => t.close());

    test('every endpoint needs a valid bearer key', async () => {
      for (const [method, url] of [
        ['POST', '/api/records/create/'],
        ['GET', '/api/records/list/'],
        ['POST', '/api/records/list/'],
        ['GET', `/api/records/${mine.id}/`],
      ]) {
        for (const authorization of ['', 'Bearer', 'Bearer wrong-key-0000000000', `Basic ${TEST_KEY}`, TEST_KEY]) {
          const res = await t.request(method, url, method === 'POST' ? {} : undefined, { authorization });
          assert.equal(res.status, 401, `${method} ${url} with "${authorization}"`);
          assert.equal(res.body.error.code, 'unauthorized');
        }
      }
    });

    test('a rejected key stores nothing', async () => {
      const before = (await t.request('GET', '/api/records/list/')).body.count;
      await t.request('POST', '/api/records/create/', { field_1: 'x' }, { authorization: 'Bearer nope-nope-nope-nope' });
      assert.equal((await t.request('GET', '/api/records/list/')).body.count, before);
    });

    test('the org comes from the key', async () => {
      assert.equal(mine.org_id, TEST_ORG);
      assert.equal(theirs.org_id, 'org_other');
    });

    test("another org's record is a 404, and never appears in lists, filters or counts", async () => {
      const res = await t.request('GET', `/api/records/${theirs.id}/`);
      assert.equal(res.status, 404);
      const list = await t.request('POST', '/api/records/list/', {
        filters: { field_10: { value: ['shared-customer'] }, field_9__k: { value: ['v'] } },
      });
      assert.deepEqual(
        list.body.results.map((r: any) => r.id),
        [mine.id],
      );
      assert.equal(list.body.count, 1);
      const byId = await t.request('POST', '/api/records/list/', { filters: { id: { value: [theirs.id] } } });
      assert.equal(byId.body.count, 0);
      const byOrg = await t.request('POST', '/api/records/list/', { filters: { org_id: { value: ['org_other'] } } });
      assert.equal(byOrg.body.count, 0);
      const theirsList = await t.request('GET', '/api/records/list/', undefined, { authorization: `Bearer ${otherKey}` });
      assert.deepEqual(
        theirsList.body.results.map((r: any) => r.id),
        [theirs.id],
      );
    });

    if (kind === 'sqlite') {
      test('keys are stored hashed, never in plain text', async () => {
        const db = new Database(path.join(t.dataDir, 'tally.db'), { readonly: true });
        try {
          const rows = db.prepare('SELECT * FROM api_keys').all() as Record<string, string>[];
          const dump = JSON.stringify(rows);
          assert.ok(!dump.includes(TEST_KEY) && !dump.includes(otherKey));
          assert.ok(rows.some((r) => r.key_hash === hashApiKey(TEST_KEY)));
        } finally {
          db.close();
        }
      });
    }

    test('keys never reach the logs', async () => {
      await t.request('GET', '/api/records/list/');
      await t.request('GET', '/api/records/list/', undefined, { authorization: 'Bearer leaked-key-should-not-log' });
      const logs = t.logs.join('');
      assert.ok(logs.length > 0, 'requests are logged');
      assert.ok(!logs.includes(TEST_KEY) && !logs.includes(otherKey) && !logs.includes('leaked-key-should-not-log'));
    });
  });
}

describe('TALLY_INIT_API_KEY: any 16-128 printable ASCII characters, spaces inside included', () => {
  test('a key with spaces works as given; one that starts or ends with a space is refused at start', async () => {
    const key = 'key with  spaces 0123';
    const t = await startTestApp('sqlite', { TALLY_INIT_API_KEY: key });
    try {
      assert.equal((await t.request('GET', '/api/records/list/', undefined, { authorization: `Bearer ${key}` })).status, 200);
      assert.equal((await t.request('GET', '/api/records/list/', undefined, { authorization: `Bearer   ${key}  ` })).status, 200);
      assert.equal((await t.request('GET', '/api/records/list/', undefined, { authorization: 'Bearer key with spaces 0123' })).status, 401);
      assert.equal((await t.request('GET', '/api/records/list/', undefined, { authorization: 'Bearer key' })).status, 401);
    } finally {
      await t.close();
    }
    for (const bad of [' key with spaces 0123', 'key with spaces 0123 ', 'key\twith tab 01234', 'short key']) {
      assert.throws(() => loadConfig({ TALLY_INIT_ORG_ID: 'org_x', TALLY_INIT_API_KEY: bad }), /TALLY_INIT_API_KEY/, JSON.stringify(bad));
    }
  });
});
