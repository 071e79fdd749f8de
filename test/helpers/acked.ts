import assert from 'node:assert/strict';
import http from 'node:http';
import { TEST_KEY } from './app.ts';
import { httpRequest } from './http.ts';
import type { ServerProcess } from './server-process.ts';

/**
 * GETs every acknowledged id (8 at a time) from a real server: returns the ids it does not have (404), and
 * asserts that each one it has equals the body the client was answered with.
 */
export async function missingOf(server: ServerProcess, acked: Map<string, any>): Promise<string[]> {
  const ids = [...acked.keys()];
  const missing: string[] = [];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      for (let id = ids.pop(); id !== undefined; id = ids.pop()) {
        const res = await httpRequest(server.port, 'GET', `/api/records/${id}/`, {
          agent,
          headers: { authorization: `Bearer ${TEST_KEY}` },
        });
        if (res.status === 404) missing.push(id);
        else assert.deepEqual(res.body, acked.get(id), `record ${id} is stored exactly as acknowledged`);
      }
      agent.destroy();
    }),
  );
  return missing;
}
