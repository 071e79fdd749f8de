import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { describe, test } from 'node:test';
import { tempDir, TEST_KEY, TEST_ORG } from './helpers/app.ts';
import { errorCodeOf, httpRequest, sleep, type HttpResult } from './helpers/http.ts';
import { startServer } from './helpers/server-process.ts';
import { storeEnv, STORE_KINDS } from './helpers/stores.ts';

const FLOOD_MS = 4000;
const MiB = 1024 * 1024;
const auth = { authorization: `Bearer ${TEST_KEY}` };

for (const kind of STORE_KINDS) {
  describe(`overload, real server process [${kind}]`, () => {
    test('a flood of creates keeps memory bounded and /healthz answering; excess is 503 overloaded or 413', async (t) => {
      const dataDir = tempDir();
      const env = {
        TALLY_DATA_DIR: dataDir,
        TALLY_INIT_ORG_ID: TEST_ORG,
        TALLY_INIT_API_KEY: TEST_KEY,
        TALLY_BODY_LIMIT_BYTES: String(MiB),
        // Small caps, so that the flood reaches them: the queue refuses rather than grows.
        TALLY_WRITE_QUEUE_MAX: '64',
        TALLY_WRITE_QUEUE_MAX_BYTES: String(8 * MiB),
        ...(await storeEnv(kind)),
      };
      const server = await startServer(env);
      try {
        const baseline = server.rssKiB();
        let peak = baseline;
        const statuses = new Map<string, number>();
        const bad: string[] = []; // the first few problems; one is enough to fail
        const problem = (what: string) => bad.length < 20 && bad.push(what);
        // Every loop below stops once the flood is over, once the test has failed (stopped), or when its server is
        // gone: a loop that retried a dead server grew without bound and never let the test end.
        let stopped = false;
        const floodEnd = Date.now() + FLOOD_MS;
        const flooding = () => !stopped && Date.now() < floodEnd;
        const note = (what: string, res: HttpResult) => {
          statuses.set(`${what} ${res.status}`, (statuses.get(`${what} ${res.status}`) ?? 0) + 1);
          if (res.status >= 500 && !(res.status === 503 && errorCodeOf(res.body) === 'overloaded' && res.headers['retry-after'])) {
            problem(`${what}: ${res.status} ${res.text.slice(0, 200)}`);
          }
          if (res.status >= 400) errorCodeOf(res.body);
        };
        // Bodies are built as strings once: the test process shares the machine's two cores with the server.
        const big = 'y'.repeat(100 * 1024);
        const tooBig = JSON.stringify({ field_1: 'z'.repeat(2 * MiB) });
        const kinds: [string, number, (n: number) => string][] = [
          ['small async', 96, (n) => `{"field_1":"small ${n}","field_9":{"n":${n}},"field_21":{"option_a":false}}`],
          ['small sync', 32, (n) => `{"field_1":"small ${n}","field_9":{"n":${n}}}`],
          ['100KB async', 16, (n) => `{"field_1":"${big}","field_2":"${big}","field_9":{"n":${n}},"field_21":{"option_a":false}}`],
          ['2MiB (too large)', 2, () => tooBig],
        ];
        /** One client: requests one after another on one connection until the flood ends or a request fails. */
        const client = async (what: string, send: (agent: http.Agent, n: number) => Promise<HttpResult>, cutOffOk = false) => {
          const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
          let cutOff = 0;
          try {
            for (let n = 0; flooding(); n++) {
              try {
                note(what, await send(agent, n));
                cutOff = 0;
              } catch (err) {
                // An oversized upload may be cut off by the server once it has answered 413; a few in a row are a dead server.
                if (cutOffOk && ++cutOff < 10) continue;
                problem(`${what}: ${(err as Error).message}`);
                stopped = true; // one dropped connection fails the test: the others stop too
                return;
              }
            }
          } finally {
            agent.destroy();
          }
        };
        const loops: Promise<void>[] = [];
        for (const [what, clients, body] of kinds) {
          for (let c = 0; c < clients; c++) {
            const send = (agent: http.Agent, n: number) =>
              httpRequest(server.port, 'POST', '/api/records/create/', { body: body(n), agent, headers: auth });
            loops.push(client(what, send, what.includes('too large')));
          }
        }
        for (let c = 0; c < 2; c++)
          loops.push(client('list', (agent) => httpRequest(server.port, 'GET', '/api/records/list/?param_c=10', { agent, headers: auth })));
        // /healthz on a connection of its own, every 100 ms, must answer within 10 s throughout (it queues behind
        // the ~150 flooding connections in the one event loop, so it is slow, but it answers).
        const health = new http.Agent({ keepAlive: true, maxSockets: 1 });
        const healthLatencies: number[] = [];
        try {
          while (flooding()) {
            const t0 = performance.now();
            const res = await httpRequest(server.port, 'GET', '/healthz', { agent: health, timeoutMs: 10_000 });
            healthLatencies.push(performance.now() - t0);
            assert.equal(res.status, 200);
            peak = Math.max(peak, server.rssKiB());
            await sleep(100);
          }
        } finally {
          stopped = true;
          await Promise.all(loops); // each ends within its current request (httpRequest's 30 s at most)
        }
        peak = Math.max(peak, server.rssKiB());

        assert.deepEqual(bad, [], 'no 5xx other than 503 overloaded with Retry-After, no dropped connections');
        const after = await httpRequest(server.port, 'GET', '/healthz', { agent: health });
        assert.equal(after.status, 200);
        assert.equal((await httpRequest(server.port, 'GET', '/readyz')).status, 200);
        health.destroy();
        healthLatencies.sort((a, b) => a - b);
        t.diagnostic(`statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
        t.diagnostic(
          `RSS baseline ${(baseline / 1024).toFixed(0)} MiB, peak ${(peak / 1024).toFixed(0)} MiB; /healthz p50 ${healthLatencies[healthLatencies.length >> 1].toFixed(1)} ms, max ${healthLatencies.at(-1)!.toFixed(1)} ms`,
        );
        assert.ok(
          [...statuses.keys()].some((k) => / 20[12]$/.test(k)),
          'work got done during the flood',
        );
        // Bounded by ~150 connections x 1 MiB body limit (buffered and parsed) plus the 8 MiB queue cap.
        assert.ok(peak - baseline < 512 * 1024, `RSS grew ${((peak - baseline) / 1024).toFixed(0)} MiB under the flood`);
      } finally {
        await server.stop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}
