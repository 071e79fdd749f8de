import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startProxy } from './helpers/pg-proxy.ts';
import { startServer } from './helpers/server-process.ts';
import { POSTGRES_AVAILABLE, freshSchemaUrl } from './helpers/stores.ts';

const KEY = 'outage-key-0123456789abcdef';
const auth = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Outcome {
  status: number;
  code?: string;
  id?: string;
  ms: number;
  phase: string;
  endPhase: string;
}

describe('PostgreSQL outage', { skip: POSTGRES_AVAILABLE ? false : 'PostgreSQL is not reachable' }, () => {
  test('requests answer 503 store_unavailable promptly, the server recovers by itself, and no acknowledged record is lost', async () => {
    const direct = new URL(await freshSchemaUrl());
    const proxy = await startProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    const viaProxy = new URL(direct);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    const server = await startServer({
      TALLY_DATABASE_URL: viaProxy.toString(),
      TALLY_INIT_ORG_ID: 'org_outage',
      TALLY_INIT_API_KEY: KEY,
      TALLY_PG_POOL_SIZE: '4',
    });
    const base = `http://127.0.0.1:${server.port}`;
    let phase = 'before';
    const outcomes: Outcome[] = [];
    const call = async (path: string, init?: RequestInit): Promise<Outcome> => {
      const started = performance.now();
      const startedIn = phase; // a request belongs to the phase it started in
      const res = await fetch(`${base}${path}`, { headers: auth, signal: AbortSignal.timeout(30_000), ...init });
      const body = (await res.json()) as { id?: string; error?: { code: string } };
      return {
        status: res.status,
        code: body.error?.code,
        id: body.id,
        ms: performance.now() - started,
        phase: startedIn,
        endPhase: phase,
      };
    };
    let writing = true;
    const failures: string[] = [];
    // Each writer stops when told, after 5,000 writes (more than 35 s of them), or at its first request that
    // gets no answer (the server is gone): never a loop that outlives the test.
    const writer = async (worker: number) => {
      for (let i = 0; writing && i < 5000; i++) {
        const durable = i % 4 !== 0; // every fourth write is option_a=false: a 202 the queue must commit later
        try {
          outcomes.push(
            await call('/api/records/create/', {
              method: 'POST',
              body: JSON.stringify({ field_1: `w${worker} #${i}`, field_21: { option_a: durable } }),
            }),
          );
        } catch (err) {
          failures.push(`writer ${worker}: ${(err as Error).message}`);
          return;
        }
        await sleep(20);
      }
    };
    const writers = [0, 1, 2].map(writer);
    try {
      await sleep(1000);
      await proxy.cut();
      phase = 'outage';
      await sleep(2500);
      const readyDown = await call('/readyz');
      const listDown = await call('/api/records/list/');
      phase = 'restored';
      await proxy.restore();
      const deadline = Date.now() + 30_000;
      while (!outcomes.some((o) => o.phase === 'restored' && o.status === 201) && Date.now() < deadline) await sleep(100);
      writing = false;
      await Promise.all(writers);

      assert.deepEqual(failures, [], 'every write was answered');
      assert.equal(readyDown.status, 503);
      assert.equal(listDown.status, 503);
      assert.equal(listDown.code, 'store_unavailable');
      for (const o of outcomes) {
        assert.ok([201, 202, 503].includes(o.status), `unexpected ${o.status} ${o.code}`);
        if (o.status === 503) assert.equal(o.code, 'store_unavailable');
        assert.ok(o.ms < 10_000, `a request took ${Math.round(o.ms)} ms during ${o.phase}`);
      }
      // Started and answered while the database was away (one started just before the restore may succeed after it).
      const during = outcomes.filter((o) => o.phase === 'outage' && o.endPhase === 'outage' && o.status !== 202);
      assert.ok(
        during.length > 0 && during.every((o) => o.status === 503),
        `writes during the outage are refused, not hung: ${JSON.stringify(outcomes.map((o) => [o.phase, o.status, Math.round(o.ms)]))}`,
      );
      assert.ok(
        outcomes.some((o) => o.phase === 'restored' && o.status === 201),
        'writes succeed again without a restart',
      );
      assert.equal((await call('/readyz')).status, 200);

      // Every acknowledged record is there: 201s at once, 202s once the write queue's retries got through.
      const acknowledged = outcomes.filter((o) => o.status === 201 || o.status === 202).map((o) => o.id!);
      assert.ok(
        outcomes.some((o) => o.phase === 'outage' && o.status === 202),
        'some records were accepted during the outage',
      );
      const missing = async () => {
        const res = await fetch(`${base}/api/records/list/?param_c=1000`, { headers: auth, signal: AbortSignal.timeout(30_000) });
        assert.equal(res.status, 200);
        const stored = new Set(((await res.json()) as { results: { id: string }[] }).results.map((r) => r.id));
        return acknowledged.filter((id) => !stored.has(id));
      };
      const settle = Date.now() + 20_000;
      while ((await missing()).length > 0 && Date.now() < settle) await sleep(200);
      assert.deepEqual(await missing(), []);
      for (const o of outcomes.filter((x) => x.status === 201)) assert.equal((await call(`/api/records/${o.id}/`)).status, 200);

      // The outage is logged once when it starts and once when it ends, not once per failed request.
      const logged = (msg: string) =>
        server
          .output()
          .split('\n')
          .filter((line) => line.includes(`"msg":"${msg}`)).length;
      assert.equal(logged('postgres unreachable'), 1);
      assert.equal(logged('postgres reachable again'), 1);
    } finally {
      writing = false;
      await Promise.all(writers); // each ends within its current request (30 s at most)
      await proxy.restore(); // the server drains its queue on SIGTERM, which needs the database
      await server.stop();
      await proxy.cut();
    }
  });
});
