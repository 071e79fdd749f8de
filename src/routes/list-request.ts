import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import { parseFilters, type Condition } from '../query/filters.ts';
import { parseListParams, type ListParams } from '../query/list-params.ts';

const LIST_BODY_KEYS = new Set(['filters', 'param_a', 'param_b', 'param_c', 'param_d', 'count']);

/** GET takes filters as a JSON string in ?filters=; POST takes {"filters": {...}} (and may carry param_a..d). */
function listInput(request: FastifyRequest): { query: Record<string, unknown>; filters: unknown } {
  const query = { ...(request.query as Record<string, unknown>) };
  if (request.method === 'GET') {
    const raw = query.filters;
    delete query.filters;
    if (raw === undefined) return { query, filters: undefined };
    try {
      return { query, filters: JSON.parse(String(raw)) };
    } catch {
      throw new AppError('invalid_query_parameter', 'Query parameter filters must be a JSON object', [
        { field: 'filters', message: 'not valid JSON' },
      ]);
    }
  }
  const body = request.body ?? {};
  if (typeof body !== 'object' || Array.isArray(body) || body === null) {
    throw new AppError('validation_error', 'The body must be a JSON object such as {"filters": {...}}', [
      { field: '(body)', message: 'must be an object' },
    ]);
  }
  const unknown = Object.keys(body).filter((k) => !LIST_BODY_KEYS.has(k));
  if (unknown.length > 0) {
    throw new AppError(
      'validation_error',
      `Unknown body field(s): ${unknown.join(', ')}`,
      unknown.map((field) => ({ field, message: 'unknown field' })),
    );
  }
  const { filters, ...params } = body as Record<string, unknown>;
  for (const [k, v] of Object.entries(params)) if (query[k] === undefined && v !== null) query[k] = String(v);
  return { query, filters };
}

/** A list's (or summary's) parameters and filters, parsed and checked: every problem is a 400 naming it. */
export function parseListRequest(request: FastifyRequest): { params: ListParams; conditions: Condition[] } {
  const { query, filters } = listInput(request);
  const params = parseListParams(query);
  return { params, conditions: parseFilters(filters) };
}
