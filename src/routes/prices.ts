import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.ts';
import { callerKey, callerOrg } from '../http/api-scope.ts';
import {
  listModelPrices,
  parsePrice,
  parsePriceKey,
  removeModelPrices,
  setModelPrice,
  toModelPriceJson,
  type PriceInput,
} from '../records/model-prices.ts';
import type { PriceBook } from '../records/price-book.ts';
import type { Store } from '../store/types.ts';

const SET_FIELDS = ['model', 'input', 'output', 'cache_read', 'cache_write', 'effective_from', 'org_id'];

/**
 * The prices API (docs/derived-fields.md#custom-prices), for admin keys: the caller's org's prices. The server's own
 * are listed here and set with the CLI only (an org's key must not price another org's calls). A change is used by
 * this process at once, by the others within PRICE_RECHECK_MS.
 */
export function registerPriceRoutes(api: FastifyInstance, store: Store, book: PriceBook): void {
  const admin = { config: { scope: 'admin' as const } };
  /** The org a request names (org_id), which must be the caller's: another is as unknown to it as a missing one. */
  const orgOf = (named: unknown, caller: string): string => {
    if (named !== undefined && named !== caller) throw new AppError('not_found', `No org ${JSON.stringify(named)} for this key`);
    return caller;
  };

  api.get('/prices', admin, async (request) => ({ results: (await listModelPrices(store, callerOrg(request))).map(toModelPriceJson) }));

  api.post('/prices', admin, async (request, reply) => {
    const body = request.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      throw new AppError(
        'validation_error',
        'The body must be a JSON object: {"model", "input", "output", "cache_read", "cache_write", "effective_from"}',
      );
    const unknown = Object.keys(body).filter((k) => !SET_FIELDS.includes(k));
    if (unknown.length > 0)
      throw new AppError(
        'validation_error',
        `Unknown field(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}`,
        unknown.map((field) => ({ field, message: 'unknown field' })),
      );
    const caller = callerKey(request);
    const row = parsePrice(body as PriceInput, orgOf((body as { org_id?: unknown }).org_id, caller.orgId));
    await setModelPrice(store, row, caller.keyId);
    await book.refresh();
    return reply.code(201).send(toModelPriceJson(row));
  });

  api.delete<{ Querystring: Record<string, unknown> }>('/prices', admin, async (request, reply) => {
    const caller = callerKey(request);
    const q = request.query;
    const key = parsePriceKey(q.model, q.effective_from, orgOf(q.org_id, caller.orgId));
    await removeModelPrices(store, key, caller.keyId);
    await book.refresh();
    return reply.code(204).send();
  });
}
