import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createKey } from '../src/bootstrap.ts';
import { hashApiKey } from '../src/auth/keys.ts';
import { startTestApp, TEST_ORG, type TestApp } from './helpers/app.ts';
import { errorCodeOf } from './helpers/http.ts';
import { SQL_INJECTIONS } from './helpers/hostile.ts';
import { variedRecord } from './helpers/load.ts';
import { STORE_KINDS } from './helpers/stores.ts';

const TEXT_FIELDS = [
  'field_1',
  'field_2',
  'field_3',
  'field_4',
  'field_10',
  'field_11',
  'field_12',
  'field_13',
  'field_14',
  'field_15',
  'field_19',
  'status',
  'id',
  'org_id',
];
const PATTERN_OPS = ['contains', 'icontains', 'startswith', 'endswith'] as const;

function matches(op: string, have: string, want: string): boolean {
  if (op === '') return have === want;
  if (op === 'not') return have !== want;
  if (op === 'contains') return have.includes(want);
  if (op === 'icontains') return have.toUpperCase().includes(want.toUpperCase());
  if (op === 'startswith') return have.startsWith(want);
  if (op === 'endswith') return have.endsWith(want);
  throw new Error(op);
}

describe('API keys at rest [sqlite]', () => {
  test('only SHA-256 hashes of keys are stored: no plaintext key anywhere in the database files', async () => {
    const t = await startTestApp('sqlite');
    const second = await createKey(t.store, 'org_second');
    await t.request('POST', '/api/records/create/', {});
    await t.request('GET', '/api/records/list/', undefined, { authorization: `Bearer ${second}` });
    const file = path.join(t.dataDir, 'tally.db');
    const db = new Database(file, { readonly: true });
    try {
      const keys = db.prepare('SELECT key_hash, org_id FROM api_keys ORDER BY org_id').all() as { key_hash: string; org_id: string }[];
      assert.deepEqual(
        keys,
        [
          { key_hash: hashApiKey(t.key), org_id: TEST_ORG },
          { key_hash: hashApiKey(second), org_id: 'org_second' },
        ].sort((a, b) => a.org_id.localeCompare(b.org_id)),
      );
      for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]) {
        for (const row of db.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[]) {
          const text = JSON.stringify(row);
          assert.ok(!text.includes(t.key) && !text.includes(second), `table ${name} holds a plaintext key`);
        }
      }
    } finally {
      db.close();
    }
    await t.app.close();
    for (const f of fs.readdirSync(t.dataDir)) {
      const bytes = fs.readFileSync(path.join(t.dataDir, f));
      assert.equal(bytes.indexOf(t.key), -1, `${f} holds the plaintext key`);
      assert.equal(bytes.indexOf(second), -1, `${f} holds the plaintext key`);
    }
    fs.rmSync(t.dataDir, { recursive: true, force: true });
  });
});

for (const kind of STORE_KINDS) {
  describe(`secrets and record bodies never reach the logs [${kind}]`, () => {
    test('at trace level: no API key (good or bad) and no prompt, output or metadata text in any log line', async () => {
      const t = await startTestApp(kind, { TALLY_LOG_LEVEL: 'trace' });
      try {
        const secret = 'PROMPT-SECRET-7f3a9c';
        const badKey = 'BADKEY-SECRET-4d2e8b-0123456789';
        const body = { field_1: `tell me ${secret}`, field_2: `${secret} answer`, field_9: { note: secret }, field_19: secret };
        assert.equal((await t.request('POST', '/api/records/create/', body)).status, 201);
        assert.equal((await t.request('POST', '/api/records/create/', { ...body, field_21: { option_a: false } })).status, 202);
        await t.drain(); // the 202's write follows the reply: the lists below count it
        assert.equal((await t.request('POST', '/api/records/create/', { ...body, field_3: 'bad' })).status, 400);
        assert.equal((await t.request('POST', '/api/records/create/', `{"field_1": "${secret}"`)).status, 400);
        assert.equal((await t.request('POST', '/api/records/create/', body, { authorization: `Bearer ${badKey}` })).status, 401);
        assert.equal((await t.request('POST', '/api/records/create/', body, { authorization: badKey })).status, 401);
        const filter = { field_1: { operator: 'contains', value: [secret] } };
        assert.equal((await t.request('GET', `/api/records/list/?filters=${encodeURIComponent(JSON.stringify(filter))}`)).body.count, 2);
        assert.equal((await t.request('POST', '/api/records/list/', { filters: filter })).body.count, 2);
        assert.equal(
          (await t.request('POST', '/api/records/list/', { filters: { [`field_9__${secret}`]: { operator: 'zz', value: [secret] } } }))
            .status,
          400,
        );
        const logs = t.logs.join('');
        assert.ok(logs.includes('"msg":"request completed"'), 'the logs were captured');
        for (const needle of [t.key, badKey, secret]) assert.ok(!logs.includes(needle), `the logs contain ${needle}`);
      } finally {
        await t.close();
      }
    });
  });

  describe(`org isolation [${kind}]`, () => {
    let t: TestApp;
    let keyB: string;
    const ownA: any[] = [];
    const ownB: any[] = [];
    const asB = () => ({ authorization: `Bearer ${keyB}` });
    before(async () => {
      t = await startTestApp(kind);
      keyB = await createKey(t.store, 'org_b');
      for (let n = 0; n < 6; n++) {
        // The same values in both orgs, so only the org scope can tell them apart.
        ownA.push((await t.request('POST', '/api/records/create/', variedRecord(1, n))).body);
        ownB.push((await t.request('POST', '/api/records/create/', variedRecord(1, n), asB())).body);
      }
    });
    after(() => t.close());

    test("get: another org's record is 404, as if it did not exist", async () => {
      for (const r of ownB) {
        const res = await t.request('GET', `/api/records/${r.id}/`);
        assert.equal(res.status, 404);
        assert.equal(errorCodeOf(res.body), 'not_found');
        assert.equal((await t.request('GET', `/api/records/${r.id}/`, undefined, asB())).status, 200);
      }
    });

    test("list and count: only the caller's records, whatever the filters, sorting or page", async () => {
      const idsA = new Set(ownA.map((r) => r.id));
      for (const body of [
        {},
        { filters: { field_10: { operator: '', value: ['customer-1'] } } },
        { filters: { field_9__client: { operator: '', value: [1] } } },
        { filters: { field_9__tag: { operator: 'startswith', value: ['c1-'] } } },
        { filters: { id: { operator: 'in', value: ownB.map((r) => r.id) } } },
        { filters: { org_id: { operator: '', value: ['org_b'] } } },
        { filters: { org_id: { operator: 'not', value: [TEST_ORG] } } },
        { filters: { org_id: { operator: 'isnull', value: [false] } } },
        { filters: { field_1: { operator: 'icontains', value: ['PROMPT'] } }, param_d: 'field_7' },
        { param_c: '2', param_b: '2' },
      ]) {
        const res = await t.request('POST', '/api/records/list/', body);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        for (const r of res.body.results) assert.ok(idsA.has(r.id), `org B's record ${r.id} listed for org A with ${JSON.stringify(body)}`);
        assert.ok(res.body.count <= ownA.length, `count ${res.body.count} includes other orgs for ${JSON.stringify(body)}`);
      }
      assert.equal((await t.request('GET', '/api/records/list/')).body.count, ownA.length);
      assert.equal((await t.request('GET', '/api/records/list/', undefined, asB())).body.count, ownB.length);
      assert.equal(
        (await t.request('POST', '/api/records/list/', { filters: { id: { operator: 'in', value: ownB.map((r) => r.id) } } })).body.count,
        0,
      );
    });
  });

  describe(`SQL only with bound parameters: injection strings in every filter position [${kind}]`, () => {
    let t: TestApp;
    let records: any[];
    let keyB: string;
    before(async () => {
      t = await startTestApp(kind);
      keyB = await createKey(t.store, 'org_b');
      await t.request('POST', '/api/records/create/', { field_10: 'secret-of-b' }, { authorization: `Bearer ${keyB}` });
      records = [];
      for (let n = 0; n < 8; n++)
        records.push((await t.request('POST', '/api/records/create/', variedRecord(2, n, { field_12: SQL_INJECTIONS[n] }))).body);
    });
    after(() => t.close());

    const list = (body: unknown) => t.request('POST', '/api/records/list/', body);
    const okOr4xx = (res: { status: number; body: any }, what: string) => {
      assert.ok(res.status === 200 || (res.status >= 400 && res.status < 500), `${what}: ${res.status}`);
      if (res.status !== 200) errorCodeOf(res.body);
    };

    test('values: every text field with every operator gives exactly what the literal comparison gives', async () => {
      for (const field of TEXT_FIELDS) {
        for (const value of SQL_INJECTIONS) {
          for (const op of ['', 'not', ...PATTERN_OPS]) {
            const res = await list({ filters: { [field]: { operator: op, value: [value] } } });
            if (value.includes('\u0000')) {
              // No record can hold a NUL; SQLite's GLOB would stop at it and match everything.
              assert.equal(res.status, 400, `${field} ${op} NUL`);
              assert.equal(errorCodeOf(res.body), 'invalid_filter_value');
              continue;
            }
            assert.equal(res.status, 200, `${field} ${op} ${JSON.stringify(value)}: ${JSON.stringify(res.body)}`);
            const expected = records.filter((r) => (typeof r[field] === 'string' ? matches(op, r[field], value) : op === 'not')).length;
            assert.equal(res.body.count, expected, `${field} ${JSON.stringify(op)} ${JSON.stringify(value)}`);
          }
          const inRes = await list({ filters: { [field]: { operator: 'in', value: [value, `${value}x`] } } });
          if (!value.includes('\u0000')) assert.equal(inRes.body.count, records.filter((r) => r[field] === value).length);
        }
      }
      // The stored injection strings are found literally, and only they.
      for (let n = 0; n < 8; n++) {
        const res = await list({ filters: { field_12: { operator: '', value: [SQL_INJECTIONS[n]] } } });
        assert.deepEqual(
          res.body.results.map((r: any) => r.id),
          [records[n].id],
        );
      }
    });

    test('field names, metadata keys, operators, param_a..param_d: 4xx or correct results', async () => {
      for (const inj of SQL_INJECTIONS) {
        okOr4xx(await list({ filters: { [inj]: { operator: '', value: ['x'] } } }), `field ${inj}`);
        const meta = await list({ filters: { [`field_9__${inj}`]: { operator: '', value: ['x'] } } });
        okOr4xx(meta, `meta key ${inj}`);
        if (meta.status === 200) assert.equal(meta.body.count, 0, `metadata key ${JSON.stringify(inj)} matches nothing`);
        const nested = await list({ filters: { [`field_9__nested__${inj}`]: { operator: 'isnull', value: [false] } } });
        okOr4xx(nested, `nested meta key ${inj}`);
        if (nested.status === 200) assert.equal(nested.body.count, 0);
        const op = await list({ filters: { field_10: { operator: inj, value: ['x'] } } });
        assert.equal(op.status, 400);
        assert.equal(errorCodeOf(op.body), 'unknown_operator');
        for (const param of ['param_a', 'param_b', 'param_c', 'param_d']) {
          const res = await t.request('GET', `/api/records/list/?${new URLSearchParams({ [param]: inj })}`);
          okOr4xx(res, `${param}=${inj}`);
          if (res.status === 200) assert.equal(res.body.count, records.length);
        }
        okOr4xx(await t.request('GET', `/api/records/${encodeURIComponent(inj)}/`), `id ${inj}`);
      }
    });

    test('afterwards the tables are intact and the other org is still invisible', async () => {
      assert.equal((await t.request('GET', '/api/records/list/')).body.count, records.length);
      assert.equal((await t.request('GET', '/api/records/list/', undefined, { authorization: `Bearer ${keyB}` })).body.count, 1);
      assert.equal((await list({ filters: { field_10: { operator: '', value: ['secret-of-b'] } } })).body.count, 0);
      assert.equal((await t.request('POST', '/api/records/create/', {})).status, 201);
    });
  });
}
