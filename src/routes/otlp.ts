import type { FastifyInstance } from 'fastify';
import type { ErrorCode } from '../errors.ts';
import { callerOrg } from '../http/api-scope.ts';
import { throughGate, type ConcurrencyGate } from '../http/concurrency-gate.ts';
import { registerOtlpBody, requireOtlpContentType } from '../http/otlp-body.ts';
import type { OtlpIngest } from '../otlp/ingest.ts';
import { contentTypeOf, encodingOf, logsResponse, traceResponse } from '../otlp/reply.ts';

/**
 * OTLP/HTTP, registered in the authenticated /v1 scope (api-scope.ts): POST /v1/traces and POST /v1/logs. A
 * request waits at the batch gate, as a batch does (it is up to a body limit of spans or events held at once); 200
 * only once everything it wrote is committed.
 */
export function registerOtlpRoutes(
  v1: FastifyInstance,
  ingest: OtlpIngest,
  gate: ConcurrencyGate,
  onRejected: (code: ErrorCode) => void,
): void {
  registerOtlpBody(v1, onRejected);
  v1.post('/traces', { config: { scope: 'ingest' }, onRequest: [requireOtlpContentType, throughGate(gate)] }, async (request, reply) => {
    const encoding = encodingOf(request.headers['content-type'])!; // requireOtlpContentType let only these through
    const body = request.body instanceof Buffer ? request.body : Buffer.alloc(0);
    const result = await ingest.traces(callerOrg(request), body, encoding);
    return reply.code(200).type(contentTypeOf(encoding)).send(traceResponse(result, encoding));
  });
  v1.post('/logs', { config: { scope: 'ingest' }, onRequest: [requireOtlpContentType, throughGate(gate)] }, async (request, reply) => {
    const encoding = encodingOf(request.headers['content-type'])!;
    const body = request.body instanceof Buffer ? request.body : Buffer.alloc(0);
    const result = await ingest.logs(callerOrg(request), body, encoding);
    return reply.code(200).type(contentTypeOf(encoding)).send(logsResponse(result, encoding));
  });
}
