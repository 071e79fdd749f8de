import type { FastifyInstance } from 'fastify';
import { createApiKey, parseName, parseScope, revokeApiKey, toApiKeyJson, toAuditJson } from '../auth/api-keys.ts';
import { AppError } from '../errors.ts';
import { callerKey, callerOrg } from '../http/api-scope.ts';
import type { Store } from '../store/types.ts';

const CREATE_FIELDS = ['scope', 'name'];

/** The keys API and the audit log (docs/keys.md), for admin keys, on the caller's org only. */
export function registerKeyRoutes(api: FastifyInstance, store: Store): void {
  const admin = { config: { scope: 'admin' as const } };

  api.get('/keys', admin, async (request) => ({ results: (await store.apiKeys(callerOrg(request))).map(toApiKeyJson) }));

  api.post('/keys', admin, async (request, reply) => {
    const body = request.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new AppError('validation_error', 'The body must be a JSON object: {"scope": "ingest" | "read" | "admin", "name": "<text>"}');
    }
    const unknown = Object.keys(body).filter((k) => !CREATE_FIELDS.includes(k));
    if (unknown.length > 0) {
      throw new AppError(
        'validation_error',
        `Unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}: a key takes "scope" and "name"`,
        unknown.map((field) => ({ field, message: 'unknown field' })),
      );
    }
    const { scope, name } = body as { scope?: unknown; name?: unknown };
    const caller = callerKey(request);
    const created = await createApiKey(store, {
      orgId: caller.orgId,
      scope: parseScope(scope),
      name: parseName(name),
      actor: caller.keyId,
    });
    // The secret is in this reply only: no cache may keep it.
    return reply
      .code(201)
      .header('cache-control', 'no-store')
      .send({ ...toApiKeyJson(created.row), key: created.secret });
  });

  api.delete<{ Params: { key_id: string } }>('/keys/:key_id', admin, async (request, reply) => {
    const caller = callerKey(request);
    await revokeApiKey(store, { keyId: request.params.key_id, orgId: caller.orgId, actor: caller.keyId });
    return reply.code(204).send();
  });

  api.get('/audit', admin, async (request) => ({ results: (await store.auditLog(callerOrg(request))).map(toAuditJson) }));
}
