import type { FastifyInstance } from 'fastify';
import type { ErrorCode } from '../errors.ts';
import { callerOrg } from '../http/api-scope.ts';
import { throughGate, type ConcurrencyGate } from '../http/concurrency-gate.ts';
import { registerOtlpBody, requireOtlpContentType } from '../http/otlp-body.ts';
import type { OtlpIngest } from '../otlp/ingest.ts';
import { contentTypeOf, encodingOf, traceResponse } from '../otlp/reply.ts';

/**
 * OTLP/HTTP, registered in the authenticated /v1 scope (api-scope.ts): POST /v1/traces. A request waits at the
 * batch gate, as a batch does (it is up to a body limit of spans held at once); 200 only once every record made
 * from it is committed.
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
}
