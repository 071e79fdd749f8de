import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startServer } from './helpers/server-process.ts';
import { POSTGRES_AVAILABLE, freshSchemaUrl } from './helpers/stores.ts';

const KEY = 'multi-key-0123456789abcdef';
const auth = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };

describe('two server processes on one PostgreSQL database', { skip: POSTGRES_AVAILABLE ? false : 'PostgreSQL is not reachable' }, () => {
  test('both start at once, take writes concurrently, and read every record the other wrote', async () => {
    const env = {
      TALLY_DATABASE_URL: await freshSchemaUrl(),
      TALLY_INIT_ORG_ID: 'org_multi',
      TALLY_INIT_API_KEY: KEY,
      TALLY_PG_POOL_SIZE: '4',
    };
    // Started together: both run the migrations and ensure the same key on an empty schema at the same time.
    const servers = await Promise.all([startServer(env), startServer(env)]);
    const base = servers.map((s) => `http://127.0.0.1:${s.port}`);
    try {
      const written: { id: string; field_1: string; durable: boolean }[] = [];
      const writer = async (server: number, worker: number) => {
        for (let i = 0; i < 25; i++) {
          const durable = i % 5 !== 0;
          const body = { field_1: `s${server} w${worker} #${i}`, field_9: { server, worker, i }, field_21: { option_a: durable } };
          const res = await fetch(`${base[server]}/api/records/create/`, {
            method: 'POST',
            headers: auth,
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(30_000),
          });
          const json = (await res.json()) as { id: string };
          assert.equal(res.status, durable ? 201 : 202, JSON.stringify(json));
          written.push({ id: json.id, field_1: body.field_1, durable });
        }
      };
      await Promise.all([0, 1].flatMap((server) => [0, 1, 2, 3].map((worker) => writer(server, worker))));
      assert.equal(written.length, 200);

      // The 202s commit shortly after; wait for them (bounded), then read everything through both servers.
      const deadline = Date.now() + 20_000;
      const countVia = async (b: string) =>
        (
          (await (await fetch(`${b}/api/records/list/?param_c=1`, { headers: auth, signal: AbortSignal.timeout(30_000) })).json()) as {
            count: number;
          }
        ).count;
      while ((await countVia(base[0])) < written.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      for (const b of base) assert.equal(await countVia(b), written.length);

      for (const [n, w] of written.entries()) {
        const res = await fetch(`${base[n % 2]}/api/records/${w.id}/`, { headers: auth, signal: AbortSignal.timeout(30_000) });
        assert.equal(res.status, 200, w.id);
        assert.equal(((await res.json()) as { field_1: string }).field_1, w.field_1);
      }
      const listed = await Promise.all(
        base.map(async (b) =>
          (
            (await (await fetch(`${b}/api/records/list/?param_c=1000`, { headers: auth, signal: AbortSignal.timeout(30_000) })).json()) as {
              results: { id: string }[];
            }
          ).results
            .map((r) => r.id)
            .sort(),
        ),
      );
      assert.deepEqual(listed[0], written.map((w) => w.id).sort());
      assert.deepEqual(listed[1], listed[0]);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  });
});
