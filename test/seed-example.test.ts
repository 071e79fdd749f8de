import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { tempDir } from './helpers/app.ts';
import { SEED_CREATE_PAYLOAD, SEED_FILTERS } from './helpers/seed.ts';
import { startServer } from './helpers/server-process.ts';

const run = promisify(execFile);
const KEY = 'seed-example-key-0123456789';

/** The seed's Python example, verbatim except for the URL and the key. */
const PYTHON_EXAMPLE = (url: string) => `import requests

url = "${url}"
headers = {
    "Authorization": "Bearer ${KEY}",
    "Content-Type": "application/json"
}
payload = {
    "field_3": "type_a",
    "field_4": "sample-value",
    "field_1": '[{"key":"value","data":"sample"}]',
    "field_2": '{"key":"value","data":"response"}',
    "field_5": {
        "sub_field_a": 10,
        "sub_field_b": 8,
        "sub_field_c": 18
    },
    "field_10": "entity_123",
    "field_7": 1.2,
    "field_9": {
        "prop_1": "value_a"
    }
}
response = requests.post(url, headers=headers, json=payload)
print(response.json())
import json; print("STATUS", response.status_code); print("JSON", json.dumps(response.json()))
`;

async function hasPythonRequests(): Promise<boolean> {
  try {
    await run('python3', ['-c', 'import requests']);
    return true;
  } catch {
    return false;
  }
}

describe('the seed examples over a real socket', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  const dir = tempDir();
  const base = () => `http://127.0.0.1:${server.port}`;
  before(async () => {
    server = await startServer({ TALLY_DATA_DIR: dir, TALLY_INIT_ORG_ID: 'org_xyz789', TALLY_INIT_API_KEY: KEY });
  });
  after(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("the seed's Python example succeeds with the seed's response shape", async (t) => {
    if (!(await hasPythonRequests())) {
      if (process.env.CI) assert.fail('python3 with requests is needed in CI');
      t.skip('python3 with requests is not installed here');
      return;
    }
    const script = PYTHON_EXAMPLE(`${base()}/api/records/create/`);
    const file = `${dir}/example.py`;
    fs.writeFileSync(file, script);
    const { stdout } = await run('python3', [file]);
    const status = Number(/^STATUS (\d+)$/m.exec(stdout)![1]);
    const body = JSON.parse(/^JSON (.*)$/m.exec(stdout)![1]);
    assert.equal(status, 201);
    for (const key of ['id', 'unique_id', 'org_id', 'field_10', 'status', 'field_6', 'timestamp']) assert.ok(key in body, key);
    assert.equal(body.org_id, 'org_xyz789');
    assert.equal(body.field_10, 'entity_123');
    assert.equal(body.status, 'success');
  });

  test('create, retrieve and the seed filter list over HTTP, with and without trailing slashes', async () => {
    const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
    const created = await fetch(`${base()}/api/records/create`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ ...SEED_CREATE_PAYLOAD, field_6: 12.5, field_9: { prop_3: 'tier_b' } }),
      signal: AbortSignal.timeout(30_000),
    });
    assert.equal(created.status, 201);
    const record = await created.json();
    const got = await fetch(`${base()}/api/records/${record.id}/`, { headers, signal: AbortSignal.timeout(30_000) });
    assert.deepEqual(await got.json(), record);
    const list = await fetch(`${base()}/api/records/list/`, {
      method: 'POST',
      headers,
      body: JSON.stringify(SEED_FILTERS),
      signal: AbortSignal.timeout(30_000),
    });
    assert.equal(list.status, 200);
    const page = await list.json();
    assert.deepEqual(
      page.results.map((r: { id: string }) => r.id),
      [record.id],
    );
    const notFound = await fetch(`${base()}/api/records/nope/`, { headers, signal: AbortSignal.timeout(30_000) });
    assert.equal(notFound.status, 404);
    assert.equal((await notFound.json()).error.code, 'not_found');
    const unknownRoute = await fetch(`${base()}/api/nothing`, { headers, signal: AbortSignal.timeout(30_000) });
    assert.equal(unknownRoute.status, 404);
  });
});
