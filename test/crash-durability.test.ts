import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { tempDir, TEST_KEY, TEST_ORG } from './helpers/app.ts';
import { missingOf } from './helpers/acked.ts';
import { httpRequest } from './helpers/http.ts';
import { createLoad, waitFor } from './helpers/load.ts';
import { startServer, type ServerProcess } from './helpers/server-process.ts';
import { storeEnv, STORE_KINDS } from './helpers/stores.ts';

const CLIENTS = 32;

async function assertAllStored(server: ServerProcess, acked: Map<string, any>): Promise<void> {
  const missing = await missingOf(server, acked);
  assert.deepEqual(missing, [], `${missing.length} acknowledged record(s) missing`);
}

async function countAll(server: ServerProcess): Promise<number> {
  const res = await httpRequest(server.port, 'GET', '/api/records/list/?param_c=1', { headers: { authorization: `Bearer ${TEST_KEY}` } });
  assert.equal(res.status, 200);
  return res.body.count;
}

for (const kind of STORE_KINDS) {
  describe(`crash durability, real server process [${kind}]`, () => {
    test('every create answered 201 survives SIGKILL mid-stream, identical to its 201 body (3 kills)', async (t) => {
      const dataDir = tempDir();
      const env = { TALLY_DATA_DIR: dataDir, TALLY_INIT_ORG_ID: TEST_ORG, TALLY_INIT_API_KEY: TEST_KEY, ...(await storeEnv(kind)) };
      const acked = new Map<string, any>();
      try {
        for (let round = 0; round < 3; round++) {
          const server = await startServer(env);
          const load = createLoad(server.port, { clients: CLIENTS, key: TEST_KEY });
          let exit: Awaited<ReturnType<typeof server.stop>> | undefined;
          try {
            // Kill once a few hundred records are acknowledged (or after 5 s), while all clients are mid-request.
            await waitFor(() => load.acks() >= 300 + round * 100, 5000);
          } finally {
            exit = await server.stop('SIGKILL');
          }
          const result = await load.stop();
          assert.equal(exit.signal, 'SIGKILL');
          for (const [id, body] of result.acked) acked.set(id, body);
          const unexpected = [...result.statuses.keys()].filter((s) => s !== 201);
          assert.deepEqual(unexpected, [], `only 201s: ${JSON.stringify([...result.statuses])}`);
          t.diagnostic(`round ${round}: ${result.acked.size} acknowledged, ${result.errors} requests cut by the kill`);
        }
        assert.ok(acked.size >= 300, `enough load: ${acked.size}`);
        const server = await startServer(env);
        try {
          await assertAllStored(server, acked);
          const stored = await countAll(server);
          assert.ok(stored >= acked.size, `${stored} stored >= ${acked.size} acknowledged`);
          t.diagnostic(
            `${acked.size} acknowledged, all present after 3 SIGKILLs; ${stored - acked.size} more committed whose reply the kill cut`,
          );
        } finally {
          await server.stop();
        }
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}
