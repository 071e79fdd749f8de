import type { FastifyInstance } from 'fastify';
import { callerKey } from '../http/api-scope.ts';
import { eraseRecords } from '../records/erase.ts';
import type { Store } from '../store/types.ts';

/** Erasure of records (docs/lifecycle.md), in the authenticated /api scope. */
export function registerLifecycleRoutes(api: FastifyInstance, store: Store): void {
  api.post('/records/erase', { config: { scope: 'admin' } }, async (request) => {
    const caller = callerKey(request);
    return { count: await eraseRecords(store, caller.orgId, request.body, caller.keyId) };
  });
}
