import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import { parseListParams } from '../query/list-params.ts';
import { callerOrg } from '../http/api-scope.ts';
import type { ConcurrencyGate } from '../http/concurrency-gate.ts';
import { parseIdempotencyKey, type IdempotencyRequest, type WriteOutcome } from '../records/idempotency.ts';
import type { RecordsService } from '../records/service.ts';
import { bodyDigest } from '../http/json-body.ts';
import { createHash } from 'node:crypto';

const LIST_BODY_KEYS = new Set(['filters', 'param_a', 'param_b', 'param_c', 'param_d', 'count']);

/** A Host header that is a host name or an IP literal, with an optional port: nothing else goes into a link. */
const PLAIN_HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** Where page links point: the Host the client used, or, without a usable one, the address it connected to. */
function origin(request: FastifyRequest): string {
  const host = request.host;
  if (typeof host === 'string' && PLAIN_HOST.test(host)) return `${request.protocol}://${host}`;
  const { localAddress = '127.0.0.1', localPort } = request.socket;
  const address = localAddress.includes(':') ? `[${localAddress}]` : localAddress;
  return `${request.protocol}://${address}${localPort ? `:${localPort}` : ''}`;
}

/**
 * Absolute URL of this list request with another page number, or null. The path and query are set on the
 * origin, never resolved against it, so a path such as //other/... cannot move the link to another host.
 */
function pageUrl(request: FastifyRequest, page: number | null): string | null {
  if (page === null) return null;
  const url = new URL(origin(request));
  const q = request.url.indexOf('?');
  url.pathname = q < 0 ? request.url : request.url.slice(0, q);
  url.search = q < 0 ? '' : request.url.slice(q);
  url.searchParams.set('param_b', String(page));
  return url.toString();
}

/** GET takes filters as a JSON string in ?filters=; POST takes {"filters": {...}} (and may carry param_a..d). */
export function listInput(request: FastifyRequest): { query: Record<string, unknown>; filters: unknown } {
  const query = { ...(request.query as Record<string, unknown>) };
  if (request.method === 'GET') {
    const raw = query.filters;
    delete query.filters;
    if (raw === undefined) return { query, filters: undefined };
    try {
      return { query, filters: JSON.parse(String(raw)) };
    } catch {
      throw new AppError('invalid_query_parameter', 'Query parameter filters must be a JSON object', [{ field: 'filters', message: 'not valid JSON' }]);
    }
  }
  const body = request.body ?? {};
  if (typeof body !== 'object' || Array.isArray(body) || body === null) {
    throw new AppError('validation_error', 'The body must be a JSON object such as {"filters": {...}}', [{ field: '(body)', message: 'must be an object' }]);
  }
  const unknown = Object.keys(body).filter((k) => !LIST_BODY_KEYS.has(k));
  if (unknown.length > 0) {
    throw new AppError('validation_error', `Unknown body field(s): ${unknown.join(', ')}`, unknown.map((field) => ({ field, message: 'unknown field' })));
  }
  const { filters, ...params } = body as Record<string, unknown>;
  for (const [k, v] of Object.entries(params)) if (query[k] === undefined && v !== null) query[k] = String(v);
  return { query, filters };
}

/** The request's Idempotency-Key and what identifies the request: its route and its raw body. */
function idempotencyOf(request: FastifyRequest): IdempotencyRequest | undefined {
  const key = parseIdempotencyKey(request.headers['idempotency-key']);
  if (key === undefined) return undefined;
  const fingerprint = createHash('sha256').update(`${request.routeOptions.url}\n${bodyDigest(request)}`).digest('hex');
  return { key, fingerprint };
}

/** A write's answer; a repeat of an Idempotency-Key's first answer says so in Idempotent-Replayed. */
function sendOutcome(reply: FastifyReply, outcome: WriteOutcome) {
  if (outcome.replayed) reply.header('idempotent-replayed', 'true');
  return reply.code(outcome.status).type('application/json; charset=utf-8').send(outcome.json);
}

/** The records routes, registered in the authenticated /api scope (api-scope.ts). */
export function registerRecordRoutes(api: FastifyInstance, service: RecordsService, batchGate: ConcurrencyGate): void {
  api.post('/records/create', async (request, reply) => {
    const outcome = await service.create(callerOrg(request), request.body, idempotencyOf(request));
    return sendOutcome(reply, outcome);
  });

  // A batch body is up to 1,000 records: parsed, validated and encoded at once, each costs tens of MB for a
  // moment. The gate waits before the body is read (onRequest), so waiting batches hold only their sockets; the
  // route's hook runs after the scope's, so only an authenticated caller ever takes or waits for a place.
  const throughGate = async (_request: FastifyRequest, reply: FastifyReply) => {
    const ticket = batchGate.enter();
    reply.raw.once('close', ticket.leave); // answered, failed or abandoned: the place is given back once
    await ticket.ready;
  };
  api.post('/records/batch', { onRequest: throughGate }, async (request, reply) => {
    const outcome = await service.createBatch(callerOrg(request), request.body, idempotencyOf(request));
    return sendOutcome(reply, outcome);
  });

  const list = async (request: FastifyRequest, reply: FastifyReply) => {
    const orgId = callerOrg(request);
    const { query, filters } = listInput(request);
    const params = parseListParams(query);
    const { count, page, more } = await service.list(orgId, params, filters);
    // Past the end, previous points at the last page (when the count says where that is).
    const previous = params.page === 1 ? null : count === null ? params.page - 1 : Math.min(params.page - 1, Math.max(1, Math.ceil(count / params.pageSize)));
    const next = pageUrl(request, more ? params.page + 1 : null);
    // {count, next, previous, results} as JSON.stringify would write it: the head goes into the room before the
    // page's JSON (which ends with the closing brace), or, without room enough, in front of a copy of it.
    const head = JSON.stringify({ count, next, previous: pageUrl(request, previous) }).slice(0, -1) + ',"results":';
    const { bytes, start, end } = page;
    const headBytes = Buffer.byteLength(head);
    let body: Buffer;
    if (headBytes <= start) {
      body = Buffer.from(bytes.buffer, bytes.byteOffset + start - headBytes, headBytes + end - start);
      body.write(head, 0, 'utf8');
      // Filled again only once every byte is out (Node copies what a socket cannot take at once; this does not rely on it).
      reply.raw.once('finish', page.release);
    } else {
      body = Buffer.concat([Buffer.from(head), bytes.subarray(start, end)]);
      page.release();
    }
    return reply.type('application/json; charset=utf-8').send(body);
  };
  api.get('/records/list', list);
  api.post('/records/list', list);

  api.get<{ Params: { resource_id: string } }>('/records/:resource_id', async (request) => {
    return service.get(callerOrg(request), request.params.resource_id);
  });
}
