import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { tempDir, TEST_KEY, TEST_ORG } from './helpers/app.ts';
import { missingOf } from './helpers/acked.ts';
import { httpRequest } from './helpers/http.ts';
import { createLoad, waitFor } from './helpers/load.ts';
import { startServer } from './helpers/server-process.ts';
import { storeEnv, STORE_KINDS } from './helpers/stores.ts';

const CLIENTS = 32;

/** Reads one sample's value from Prometheus text. */
function metric(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

for (const kind of STORE_KINDS) {
  describe(`async creates (field_21.option_a = false), real server process [${kind}]`, () => {
    test('SIGTERM mid-stream commits every record answered 202, then exits 0', async (t) => {
      const dataDir = tempDir();
      const env = { TALLY_DATA_DIR: dataDir, TALLY_INIT_ORG_ID: TEST_ORG, TALLY_INIT_API_KEY: TEST_KEY, ...(await storeEnv(kind)) };
      try {
        const server = await startServer(env);
        const load = createLoad(server.port, { clients: CLIENTS, key: TEST_KEY, async: true });
        let exit: Awaited<ReturnType<typeof server.stop>> | undefined;
        try {
          await waitFor(() => load.acks() >= 1500, 8000);
          exit = await server.stop('SIGTERM'); // the clients keep sending while the server drains
        } finally {
          await server.stop('SIGKILL'); // nothing left to kill unless the SIGTERM went unanswered
        }
        const result = await load.stop();
        assert.deepEqual(exit, { code: 0, signal: null }, 'graceful exit');
        assert.deepEqual(
          [...result.statuses.keys()].filter((s) => s !== 202),
          [],
          `only 202s: ${JSON.stringify([...result.statuses])}`,
        );
        assert.ok(server.logs.some((l) => l.includes('shutting down: draining writes')));
        const logs = server.logs.join('\n');
        assert.ok(
          logs.includes('"msg":"request completed"') && !logs.includes(TEST_KEY) && !logs.includes('prompt c0-'),
          'no key or prompt in the logs',
        );

        const again = await startServer(env);
        try {
          const missing = await missingOf(again, result.acked);
          assert.deepEqual(missing, [], `${missing.length} of ${result.acked.size} accepted records lost on SIGTERM`);
          t.diagnostic(`${result.acked.size} accepted (202), all committed by the SIGTERM drain`);
        } finally {
          await again.stop();
        }
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });

    test('SIGKILL loses only records accepted and not yet committed: bounded by the queue (measured)', async (t) => {
      const dataDir = tempDir();
      const queueMax = 256;
      const env = {
        TALLY_DATA_DIR: dataDir,
        TALLY_INIT_ORG_ID: TEST_ORG,
        TALLY_INIT_API_KEY: TEST_KEY,
        TALLY_WRITE_QUEUE_MAX: String(queueMax),
        ...(await storeEnv(kind)),
      };
      try {
        const server = await startServer(env);
        const load = createLoad(server.port, { clients: CLIENTS, key: TEST_KEY, async: true });
        let scrape: Awaited<ReturnType<typeof httpRequest>> | undefined;
        try {
          await waitFor(() => load.acks() >= 1500, 8000);
          scrape = await httpRequest(server.port, 'GET', '/metrics');
        } finally {
          await server.stop('SIGKILL'); // and the load, left without a server, ends by itself
        }
        const result = await load.stop();

        const again = await startServer(env);
        try {
          const missing = await missingOf(again, result.acked);
          const commits = metric(scrape.text, 'tally_write_commit_seconds_count');
          const commitMs = (metric(scrape.text, 'tally_write_commit_seconds_sum') / commits) * 1000;
          const batch = metric(scrape.text, 'tally_write_batch_records_sum') / metric(scrape.text, 'tally_write_batch_records_count');
          t.diagnostic(
            `accepted ${result.acked.size}, lost ${missing.length} on SIGKILL; ${commits} commits, mean commit ${commitMs.toFixed(2)} ms, mean batch ${batch.toFixed(1)} records`,
          );
          // Only records in the queue at the kill can be lost, and the queue holds at most queueMax. (On SQLite,
          // whose commit blocks the event loop, it is at most one per client: each waits for its 202 first.)
          assert.ok(missing.length <= queueMax, `lost ${missing.length} > ${queueMax}`);
        } finally {
          await again.stop();
        }
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}
