import assert from 'node:assert/strict';
import fc from 'fast-check';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { errorCodeOf, httpRequest } from './helpers/http.ts';
import { createBody, filters, listParams, rawBody } from './helpers/hostile.ts';
import { listen } from './helpers/listen.ts';
import { variedRecord } from './helpers/load.ts';
import { STORE_KINDS } from './helpers/stores.ts';

// A fixed seed: every run tries the same inputs, so a CI failure reproduces locally. Change it to explore more.
const SEED = 20251128;
const RUNS = { create: 1000, raw: 300, list: 1000, socket: 100 };

interface Reply {
  status: number;
  body: any;
}

for (const kind of STORE_KINDS) {
  describe(`fuzz: hostile input never hurts [${kind}]`, () => {
    let t: TestApp;
    let port: number;
    let stored = 0; // records the server said it stored (201 or 202)
    const seen = new Map<string, number>(); // "what status code" -> how often, to show the inputs reach every path

    /** The invariants of any reply: no 5xx, the one error shape for 4xx, a stored record for 2xx creates. */
    function check(what: string, input: unknown, res: Reply): void {
      const show = () => `${what}: ${res.status} for ${JSON.stringify(input)?.slice(0, 300)} -> ${JSON.stringify(res.body)?.slice(0, 300)}`;
      assert.ok(res.status < 500, show());
      const key = `${what.split(' ')[0]} ${res.status} ${res.status >= 400 ? res.body?.error?.code : ''}`.trim();
      seen.set(key, (seen.get(key) ?? 0) + 1);
      if (res.status >= 400) {
        assert.doesNotThrow(() => errorCodeOf(res.body), show());
      } else if (what.startsWith('create')) {
        assert.ok(res.status === 201 || res.status === 202, show());
        assert.match(res.body.id, /^record_/, show());
        stored++;
      } else {
        assert.equal(res.status, 200, show());
        assert.equal(typeof res.body.count, 'number', show());
        assert.ok(Array.isArray(res.body.results), show());
      }
    }

    const count = async () => {
      await t.drain();
      return (await t.request('GET', '/api/records/list/?param_c=1')).body.count as number;
    };

    before(async () => {
      t = await startTestApp(kind);
      port = await listen(t);
      for (let n = 0; n < 30; n++) check('create seed', n, await t.request('POST', '/api/records/create/', variedRecord(0, n)));
    });
    after(() => t.close());

    test(`create: ${RUNS.create} random and mutated bodies`, async () => {
      await fc.assert(
        fc.asyncProperty(createBody, async (body) => check('create', body, await t.request('POST', '/api/records/create/', body))),
        { numRuns: RUNS.create, seed: SEED },
      );
    });

    test(`create: ${RUNS.raw} raw JSON texts (NaN, 1e400, __proto__, lone surrogates, deep nesting, broken JSON)`, async () => {
      await fc.assert(
        fc.asyncProperty(rawBody, async (text) => check('create raw', text, await t.request('POST', '/api/records/create/', text))),
        { numRuns: RUNS.raw, seed: SEED },
      );
    });

    test(`list: ${RUNS.list} random filters, operators and param_a..param_d, by POST body and GET query`, async () => {
      await fc.assert(
        fc.asyncProperty(filters, listParams, fc.boolean(), async (f, params, viaGet) => {
          if (viaGet) {
            const query = new URLSearchParams({ ...params, ...(f === undefined ? {} : { filters: JSON.stringify(f) }) });
            check('list GET', { f, params }, await t.request('GET', `/api/records/list/?${query}`));
          } else {
            check('list POST', { f, params }, await t.request('POST', '/api/records/list/', { filters: f, ...params }));
          }
        }),
        { numRuns: RUNS.list, seed: SEED },
      );
    });

    test(`${RUNS.socket} of each over a real socket`, async () => {
      const headers = { authorization: `Bearer ${t.key}` };
      await fc.assert(
        fc.asyncProperty(createBody, rawBody, filters, listParams, async (body, text, f, params) => {
          check('create socket', body, await httpRequest(port, 'POST', '/api/records/create/', { body, headers }));
          check('create raw socket', text, await httpRequest(port, 'POST', '/api/records/create/', { body: text, headers }));
          const query = new URLSearchParams({ ...params, filters: JSON.stringify(f) ?? '' });
          check('list socket', { f, params }, await httpRequest(port, 'GET', `/api/records/list/?${query}`, { headers }));
        }),
        { numRuns: RUNS.socket, seed: SEED },
      );
    });

    test('nothing was stored from a rejected request, the table is intact and the server still answers', async (c) => {
      c.diagnostic(JSON.stringify(Object.fromEntries([...seen].sort())));
      assert.equal(await count(), stored, 'exactly the records answered 201/202 are stored');
      assert.equal((await t.request('GET', '/healthz')).status, 200);
      assert.equal((await t.request('GET', '/readyz')).status, 200);
      const polluted = ({} as Record<string, unknown>).polluted;
      assert.equal(polluted, undefined, 'no prototype pollution');
    });
  });
}
