import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createApiKey } from '../src/auth/api-keys.ts';
import { createAuthenticator } from '../src/auth/authenticator.ts';
import { hashApiKey } from '../src/auth/keys.ts';
import { registerApi } from '../src/http/api-scope.ts';
import { POSTGRES_MIGRATIONS } from '../src/store/postgres/migrations.ts';
import { SQLITE_MIGRATIONS } from '../src/store/sqlite/migrations.ts';
import { SCOPES, type Scope } from '../src/store/types.ts';
import { startTestApp, tempDir, TEST_ORG, type TestApp } from './helpers/app.ts';
import { errorCodeOf } from './helpers/http.ts';
import { freshSchemaUrl, STORE_KINDS, withClient } from './helpers/stores.ts';

/**
 * The scope each /api route needs, as docs/keys.md's table says (written out here, not read from the code): ingest
 * writes records, read reads them, admin the keys API and the audit log. A route the app serves that is missing
 * here fails the first test, so a new route is classified on purpose.
 */
const NEEDS: Record<string, Scope> = {
  'POST /api/records/create': 'ingest',
  'POST /api/records/batch': 'ingest',
  'GET /api/records/list': 'read',
  'HEAD /api/records/list': 'read',
  'POST /api/records/list': 'read',
  'GET /api/records/:resource_id': 'read',
  'HEAD /api/records/:resource_id': 'read',
  'GET /api/records/summary': 'read',
  'HEAD /api/records/summary': 'read',
  'POST /api/records/summary': 'read',
  'GET /api/records/analytics': 'read',
  'HEAD /api/records/analytics': 'read',
  'POST /api/records/analytics': 'read',
  'GET /api/meta/fields': 'read',
  'HEAD /api/meta/fields': 'read',
  'GET /api/keys': 'admin',
  'HEAD /api/keys': 'admin',
  'POST /api/keys': 'admin',
  'DELETE /api/keys/:key_id': 'admin',
  'GET /api/audit': 'admin',
  'POST /api/records/erase': 'admin',
  'GET /api/records/export': 'read',
  'HEAD /api/records/export': 'read',
  'POST /api/records/export': 'read',
  'HEAD /api/audit': 'admin',
  'GET /api/prices': 'admin',
  'HEAD /api/prices': 'admin',
  'POST /api/prices': 'admin',
  'DELETE /api/prices': 'admin',
  'POST /v1/traces': 'ingest',
  'POST /v1/logs': 'ingest',
};

const BODIES: Record<string, unknown> = {
  'POST /api/records/create': { field_1: 'from the scope matrix' },
  'POST /api/records/batch': { records: [{ field_1: 'from the scope matrix' }] },
  'POST /api/records/list': {},
  'POST /api/records/erase': { filters: { field_10: 'nobody from the scope matrix' } },
  'POST /api/records/summary': {},
  'POST /api/records/analytics': {},
  'POST /api/keys': { scope: 'read', name: 'made by the scope matrix' },
  'POST /api/prices': { model: 'scope-matrix-model', input: 1, output: 2 },
  'POST /v1/traces': { resourceSpans: [] },
  'POST /v1/logs': { resourceLogs: [] },
};

/** The authenticated routes: /api's and OTLP's /v1. */
const authenticated = (routes: readonly string[]) => routes.filter((r) => /^\/(api|v1)\//.test(r.split(' ')[1]));

const sampleUrl = (url: string) =>
  `${url.replace(':resource_id', 'record_01J00000000000000000000000').replace(':key_id', 'key_000000000000000000000000')}/`;

for (const kind of STORE_KINDS) {
  describe(`every scope against every /api and /v1 route [${kind}]`, () => {
    let t: TestApp;
    const keys = {} as Record<Scope, string>;
    before(async () => {
      t = await startTestApp(kind);
      for (const scope of SCOPES) {
        keys[scope] = (await createApiKey(t.store, { orgId: TEST_ORG, scope, name: `${scope} key`, actor: 'test' })).secret;
      }
    });
    after(() => t.close());

    test('the /api routes are exactly those the table classifies', () => {
      const api = authenticated(t.app.routes);
      assert.deepEqual([...api].sort(), Object.keys(NEEDS).sort(), 'a new /api or /v1 route needs its scope in NEEDS (docs/keys.md)');
    });

    test('a key may call a route when its scope is the one needed or admin; otherwise 403 forbidden naming the scope', async () => {
      const api = authenticated(t.app.routes);
      let allowed = 0;
      let refused = 0;
      for (const route of api) {
        const [method, url] = route.split(' ');
        const needs = NEEDS[route];
        for (const scope of SCOPES) {
          const res = await t.request(method, sampleUrl(url), BODIES[route], { authorization: `Bearer ${keys[scope]}` });
          const what = `${route} with a ${scope} key: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`;
          if (scope === needs || scope === 'admin') {
            allowed++;
            assert.ok(res.status !== 401 && res.status !== 403 && res.status < 500, what);
          } else {
            refused++;
            assert.equal(res.status, 403, what);
            if (url.startsWith('/v1/')) {
              assert.equal(res.body.code, 7, `${what}: OTLP's google.rpc.Status, PERMISSION_DENIED`);
              assert.ok(res.body.message.includes(`"${needs}" scope`), what);
            } else if (method !== 'HEAD') {
              assert.equal(errorCodeOf(res.body), 'forbidden', what);
              assert.ok(res.body.error.message.includes(`"${needs}" scope`), what);
              assert.ok(res.body.error.message.includes(`"${scope}"`), what);
            }
          }
        }
      }
      assert.ok(allowed > 0 && refused > 0, `${allowed} allowed, ${refused} refused`);
    });

    test('a refused request stores nothing', async () => {
      const count = async () => (await t.request('GET', '/api/records/list/')).body.count;
      const keyCount = async () => (await t.request('GET', '/api/keys/')).body.results.length;
      const [records, keysBefore] = [await count(), await keyCount()];
      const read = { authorization: `Bearer ${keys.read}` };
      assert.equal((await t.request('POST', '/api/records/create/', { field_1: 'no' }, read)).status, 403);
      assert.equal((await t.request('POST', '/api/records/batch/', { records: [{ field_1: 'no' }] }, read)).status, 403);
      assert.equal((await t.request('POST', '/api/keys/', { scope: 'admin', name: 'escalate' }, read)).status, 403);
      assert.equal(
        (await t.request('POST', '/api/keys/', { scope: 'admin', name: 'escalate' }, { authorization: `Bearer ${keys.ingest}` })).status,
        403,
      );
      assert.equal(await count(), records);
      assert.equal(await keyCount(), keysBefore);
    });
  });

  test(`keys made before scopes existed keep working, as admin keys with an id [${kind}]`, async () => {
    const oldKey = 'an-old-key-made-before-scopes';
    let env: Record<string, string>;
    if (kind === 'sqlite') {
      const dir = tempDir();
      const db = new Database(path.join(dir, 'tally.db'));
      db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
      for (const m of SQLITE_MIGRATIONS.filter((m) => m.version <= 10)) {
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
      }
      db.prepare("INSERT INTO orgs VALUES ('org_old', 1)").run();
      db.prepare("INSERT INTO api_keys (key_hash, org_id, created_at) VALUES (?, 'org_old', 1000)").run(hashApiKey(oldKey));
      db.close();
      env = { TALLY_DATA_DIR: dir };
    } else {
      const url = await freshSchemaUrl();
      await withClient(url, async (c) => {
        await c.query('CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)');
        for (const m of POSTGRES_MIGRATIONS.filter((m) => m.version <= 7)) {
          await c.query(m.sql);
          await c.query('INSERT INTO schema_migrations VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
        }
        await c.query("INSERT INTO orgs VALUES ('org_old', 1)");
        await c.query("INSERT INTO api_keys (key_hash, org_id, created_at) VALUES ($1, 'org_old', 1000)", [hashApiKey(oldKey)]);
      });
      env = { TALLY_DATABASE_URL: url };
    }
    const t = await startTestApp(kind, env);
    try {
      const old = { authorization: `Bearer ${oldKey}` };
      const listed = await t.request('GET', '/api/keys/', undefined, old);
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      assert.equal(listed.body.results.length, 1);
      const [key] = listed.body.results;
      assert.match(key.id, /^key_[0-9a-f]{24}$/);
      assert.deepEqual(
        { ...key, id: undefined, last_used: undefined },
        {
          id: undefined,
          name: null,
          scope: 'admin',
          created: '1970-01-01T00:00:01.000Z',
          last_used: undefined,
          revoked: null,
        },
      );
      assert.equal((await t.request('POST', '/api/records/create/', { field_1: 'old key' }, old)).status, 201);
      // The key the test app ensures (TALLY_INIT_API_KEY) is admin too.
      assert.equal((await t.request('GET', '/api/keys/')).status, 200);
    } finally {
      await t.close();
    }
  });
}

test('a route in the /api scope that declares no scope fails the start', async () => {
  const t = await startTestApp('sqlite');
  const app = Fastify();
  try {
    await assert.rejects(
      registerApi(app, createAuthenticator(t.store), (api) => {
        api.get('/records/scopeless', async () => ({ ok: true }));
      }).then(() => app.ready()),
      /GET \/api\/records\/scopeless declares no scope/,
    );
  } finally {
    await app.close().catch(() => {});
    await t.close();
  }
});
