import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { validateCreateBody } from '../fields/validate.ts';
import { validateBatchBody } from '../fields/validate-batch.ts';
import { callerOrg } from '../http/api-scope.ts';
import { throughGate, type ConcurrencyGate } from '../http/concurrency-gate.ts';
import { bodyDigest } from '../http/json-body.ts';
import { parseIdempotencyKey, type IdempotencyRequest, type WriteOutcome } from '../records/idempotency.ts';
import type { RecordsService } from '../records/service.ts';
import { parseListRequest } from './list-request.ts';
import { sendListPage } from './list-reply.ts';

/** The request's Idempotency-Key and what identifies the request: its route and its raw body. */
function idempotencyOf(request: FastifyRequest): IdempotencyRequest | undefined {
  const key = parseIdempotencyKey(request.headers['idempotency-key']);
  if (key === undefined) return undefined;
  const fingerprint = createHash('sha256')
    .update(`${request.routeOptions.url}\n${bodyDigest(request)}`)
    .digest('hex');
  return { key, fingerprint };
}

/** A write's answer; a repeat of an Idempotency-Key's first answer says so in Idempotent-Replayed. */
function sendOutcome(reply: FastifyReply, outcome: WriteOutcome) {
  if (outcome.replayed) reply.header('idempotent-replayed', 'true');
  return reply.code(outcome.status).type('application/json; charset=utf-8').send(outcome.json);
}

/** The records routes, registered in the authenticated /api scope (api-scope.ts). */
export function registerRecordRoutes(api: FastifyInstance, service: RecordsService, batchGate: ConcurrencyGate): void {
  api.post('/records/create', { config: { scope: 'ingest' } }, async (request, reply) => {
    const outcome = await service.create(callerOrg(request), validateCreateBody(request.body), idempotencyOf(request));
    return sendOutcome(reply, outcome);
  });

  // A batch of up to 1,000 records is held in memory while it is parsed, validated and encoded: it waits at the gate
  // before its body is read (concurrency-gate.ts), which OTLP's requests share.
  api.post('/records/batch', { config: { scope: 'ingest' }, onRequest: throughGate(batchGate) }, async (request, reply) => {
    const outcome = await service.createBatch(callerOrg(request), validateBatchBody(request.body), idempotencyOf(request));
    return sendOutcome(reply, outcome);
  });

  const list = async (request: FastifyRequest, reply: FastifyReply) => {
    const { params, conditions } = parseListRequest(request);
    return sendListPage(request, reply, params, await service.list(callerOrg(request), params, conditions));
  };
  api.get('/records/list', { config: { scope: 'read' } }, list);
  api.post('/records/list', { config: { scope: 'read' } }, list);

  api.get<{ Params: { resource_id: string } }>('/records/:resource_id', { config: { scope: 'read' } }, async (request) => {
    return service.get(callerOrg(request), request.params.resource_id);
  });
}
