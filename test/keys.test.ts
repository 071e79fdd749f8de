import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { createApiKey } from '../src/auth/api-keys.ts';
import { createSqliteStore } from '../src/store/sqlite/store.ts';
import { startTestApp, TEST_ORG, tempDir, type TestApp } from './helpers/app.ts';
import { errorCodeOf, sleep } from './helpers/http.ts';
import { STORE_KINDS } from './helpers/stores.ts';

/** The contract's bound: a revoked key is refused by every process on the store within 5 s (docs/keys.md). */
const REVOKE_BOUND_MS = 5000;

/** Polls `refused` every 50 ms until it is true or `ms` have passed; resolves with the time it took, or null. */
async function refusedWithin(ms: number, refused: () => Promise<boolean>): Promise<number | null> {
  const start = performance.now();
  for (let i = 0; i < 1000 && performance.now() - start < ms; i++) {
    if (await refused()) return performance.now() - start;
    await sleep(50);
  }
  return null;
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

for (const kind of STORE_KINDS) {
  describe(`keys API [${kind}]`, () => {
    let t: TestApp;
    let otherOrgKey: { id: string; secret: string };
    before(async () => {
      t = await startTestApp(kind);
      const made = await createApiKey(t.store, { orgId: 'org_other', scope: 'admin', name: 'theirs', actor: 'test' });
      otherOrgKey = { id: made.row.id, secret: made.secret };
    });
    after(() => t.close());

    const keys = async (headers?: Record<string, string>) => (await t.request('GET', '/api/keys/', undefined, headers)).body.results;
    /** The keys less their last_used, which every request may bring up to date. */
    const keysAsSet = async () => (await keys()).map((k: any) => ({ ...k, last_used: undefined }));
    const audit = async (headers?: Record<string, string>) => (await t.request('GET', '/api/audit/', undefined, headers)).body.results;
    /** The id of the key the requests are sent with (TALLY_INIT_API_KEY, the only unnamed key of the org). */
    const ownId = async () => (await keys()).find((k: any) => k.name === null).id as string;

    test('POST /api/keys/ creates a key of the scope, shows its secret once; GET lists it without; DELETE revokes it', async () => {
      const created = await t.request('POST', '/api/keys/', { scope: 'read', name: 'dashboard' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.headers['cache-control'], 'no-store');
      assert.deepEqual(Object.keys(created.body).sort(), ['created', 'id', 'key', 'last_used', 'name', 'revoked', 'scope']);
      const { key: secret, ...shown } = created.body;
      assert.match(secret, /^tly_[A-Za-z0-9_-]{32}$/);
      assert.match(shown.id, /^key_[0-9a-f]{24}$/);
      assert.equal(shown.name, 'dashboard');
      assert.equal(shown.scope, 'read');
      assert.ok(Math.abs(Date.parse(shown.created) - Date.now()) < 60_000, shown.created);
      assert.equal(shown.last_used, null);
      assert.equal(shown.revoked, null);

      const listed = await t.request('GET', '/api/keys/');
      assert.equal(listed.status, 200);
      assert.ok(!JSON.stringify(listed.body).includes(secret), 'the list never holds a secret');
      assert.deepEqual(
        listed.body.results.find((k: any) => k.id === shown.id),
        shown,
      );
      assert.ok(
        listed.body.results.every((k: any) => Object.keys(k).sort().join() === 'created,id,last_used,name,revoked,scope'),
        JSON.stringify(listed.body),
      );
      assert.ok(!listed.body.results.some((k: any) => k.id === otherOrgKey.id), "another org's keys are not listed");

      // The new key works within its scope, and its use is recorded.
      assert.equal((await t.request('GET', '/api/records/list/', undefined, bearer(secret))).status, 200);
      assert.equal((await t.request('POST', '/api/records/create/', {}, bearer(secret))).status, 403);
      let lastUsed: string | null = null;
      for (let i = 0; i < 100 && lastUsed === null; i++) {
        lastUsed = (await keys()).find((k: any) => k.id === shown.id).last_used;
        if (lastUsed === null) await sleep(50);
      }
      assert.ok(lastUsed !== null && Date.parse(lastUsed) >= Date.parse(shown.created), `last_used: ${lastUsed}`);

      const revoked = await t.request('DELETE', `/api/keys/${shown.id}/`);
      assert.equal(revoked.status, 204, JSON.stringify(revoked.body));
      assert.equal(revoked.body, '');
      const took = await refusedWithin(REVOKE_BOUND_MS, async () => {
        const res = await t.request('GET', '/api/records/list/', undefined, bearer(secret));
        return res.status === 401 && errorCodeOf(res.body) === 'unauthorized';
      });
      assert.ok(took !== null, `the revoked key was still accepted ${REVOKE_BOUND_MS} ms after`);
      const after = (await keys()).find((k: any) => k.id === shown.id);
      assert.ok(after.revoked !== null && Date.parse(after.revoked) >= Date.parse(shown.created), 'a revoked key stays listed, marked');
      assert.equal((await t.request('DELETE', `/api/keys/${shown.id}/`)).status, 204, 'revoking it again changes nothing');
      assert.equal((await keys()).find((k: any) => k.id === shown.id).revoked, after.revoked);

      // The audit log: newest first, the caller's key as actor, one entry per change.
      const own = await ownId();
      const entries = (await audit()).filter((e: any) => e.details.key_id === shown.id);
      assert.deepEqual(
        entries.map((e: any) => [e.action, e.actor]),
        [
          ['key_revoked', own],
          ['key_created', own],
        ],
      );
      assert.deepEqual(entries[1].details, { key_id: shown.id, name: 'dashboard', scope: 'read' });
      assert.ok(Date.parse(entries[0].at) >= Date.parse(entries[1].at));
      assert.ok(!(await audit(bearer(otherOrgKey.secret))).some((e: any) => e.details.key_id === shown.id), "another org's log is its own");
    });

    test('bad input is a clear 400/403/404 and changes nothing', async () => {
      const reader = await createApiKey(t.store, { orgId: TEST_ORG, scope: 'read', name: 'reader', actor: 'test' });
      const before = { keys: await keysAsSet(), audit: await audit() };
      const own = await ownId();
      const cases: [string, string, unknown, Record<string, string> | undefined, number, string, RegExp][] = [
        [
          'POST',
          '/api/keys/',
          { scope: 'writer', name: 'x' },
          undefined,
          400,
          'validation_error',
          /scope must be "ingest", "read" or "admin"; got "writer"/,
        ],
        ['POST', '/api/keys/', { scope: 'ADMIN', name: 'x' }, undefined, 400, 'validation_error', /scope must be/],
        ['POST', '/api/keys/', { name: 'no scope' }, undefined, 400, 'validation_error', /scope must be .*got nothing/],
        ['POST', '/api/keys/', { scope: 'read' }, undefined, 400, 'validation_error', /name must be a string, got nothing/],
        ['POST', '/api/keys/', { scope: 'read', name: '   ' }, undefined, 400, 'validation_error', /name must not be blank/],
        ['POST', '/api/keys/', { scope: 'read', name: 7 }, undefined, 400, 'validation_error', /name must be a string/],
        ['POST', '/api/keys/', { scope: 'read', name: 'x'.repeat(101) }, undefined, 400, 'validation_error', /at most 100 characters/],
        ['POST', '/api/keys/', { scope: 'read', name: 'a\nb' }, undefined, 400, 'validation_error', /control characters/],
        [
          'POST',
          '/api/keys/',
          { scope: 'read', name: 'x', org_id: 'org_other' },
          undefined,
          400,
          'validation_error',
          /Unknown field "org_id"/,
        ],
        ['POST', '/api/keys/', ['read', 'x'], undefined, 400, 'validation_error', /JSON object/],
        ['POST', '/api/keys/', '{"scope":', undefined, 400, 'invalid_json', /./],
        [
          'POST',
          '/api/keys/',
          { scope: 'read', name: 'x' },
          bearer(reader.secret),
          403,
          'forbidden',
          /needs an API key with the "admin" scope/,
        ],
        ['GET', '/api/keys/', undefined, bearer(reader.secret), 403, 'forbidden', /"admin" scope/],
        ['GET', '/api/audit/', undefined, bearer(reader.secret), 403, 'forbidden', /"admin" scope/],
        ['DELETE', `/api/keys/${own}/`, undefined, bearer(reader.secret), 403, 'forbidden', /"admin" scope/],
        ['DELETE', `/api/keys/${otherOrgKey.id}/`, undefined, undefined, 404, 'not_found', /No API key "key_[0-9a-f]+" in this org/],
        ['DELETE', '/api/keys/key_nope/', undefined, undefined, 404, 'not_found', /No API key "key_nope"/],
        ['DELETE', `/api/keys/${own}/`, undefined, undefined, 400, 'bad_request', /cannot revoke itself/],
      ];
      for (const [method, url, body, headers, status, code, message] of cases) {
        const res = await t.request(method, url, body, headers);
        const what = `${method} ${url} ${JSON.stringify(body)}: ${res.status} ${JSON.stringify(res.body)}`;
        assert.equal(res.status, status, what);
        assert.equal(errorCodeOf(res.body), code, what);
        assert.match(res.body.error.message, message, what);
      }
      assert.deepEqual({ keys: await keysAsSet(), audit: await audit() }, before, 'nothing changed');
      // The other org's key, refused above, still works; so does the caller's own.
      assert.equal((await t.request('GET', '/api/keys/', undefined, bearer(otherOrgKey.secret))).status, 200);
      assert.equal((await t.request('GET', '/api/keys/')).status, 200);
    });
  });

  test(`a key revoked through one process is refused by another on the same store within 5 s [${kind}]`, async () => {
    const a = await startTestApp(kind);
    const b = await startTestApp(kind, a.databaseUrl ? { TALLY_DATABASE_URL: a.databaseUrl } : { TALLY_DATA_DIR: a.dataDir });
    try {
      const made = (await a.request('POST', '/api/keys/', { scope: 'read', name: 'to revoke' })).body;
      const send = () => b.request('GET', '/api/records/list/', undefined, bearer(made.key));
      assert.equal((await send()).status, 200, 'b knows the key (and now remembers it)');
      assert.equal((await a.request('DELETE', `/api/keys/${made.id}/`)).status, 204);
      const took = await refusedWithin(REVOKE_BOUND_MS, async () => (await send()).status === 401);
      assert.ok(took !== null, `b still accepted the key ${REVOKE_BOUND_MS} ms after a revoked it`);
      assert.equal(errorCodeOf((await send()).body), 'unauthorized');
    } finally {
      await b.close();
      await a.close();
    }
  });
}

test('a last_used write posted just before the SQLite store closes lets the close finish', async () => {
  // The writer thread used to be unreferenced on the reply to the last chore, even while close() waited for it to
  // exit: the event loop could end with the close never finished.
  for (let round = 0; round < 5; round++) {
    const dir = tempDir();
    const store = createSqliteStore(dir);
    try {
      await store.ensureApiKey('org_touch', `hash-${round}`);
      const grant = (await store.keyForHash(`hash-${round}`))!;
      for (let i = 0; i < 20; i++) void store.touchApiKey(grant.keyId, Date.now() + i).catch(() => {});
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
});
