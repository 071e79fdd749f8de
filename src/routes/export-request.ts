import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import { parseFilters } from '../query/filters.ts';
import { parseListParams } from '../query/list-params.ts';
import { parseFormat, type ExportQuery } from '../records/export.ts';
import { parseTimestamp } from '../time.ts';

function bad(name: string, message: string): never {
  throw new AppError('invalid_query_parameter', `Query parameter ${name} ${message}`, [{ field: name, message }]);
}

/**
 * An export's format, start (param_a), end and filters (docs/lifecycle.md): `format`, `param_a` and `end` in the
 * query string; filters as the list takes them (?filters= JSON on GET, {"filters": ...} in a POST body). Every
 * problem is a 400 naming it, before anything is read.
 */
export function parseExportRequest(request: FastifyRequest): ExportQuery {
  const query = request.query as Record<string, unknown>;
  for (const name of ['format', 'param_a', 'end', 'filters']) if (Array.isArray(query[name])) bad(name, 'was given more than once');
  const format = parseFormat(query.format);
  const since = parseListParams({ param_a: query.param_a }).since;
  let end: number | null = null;
  if (query.end !== undefined && query.end !== '') {
    const raw = String(query.end);
    // An unencoded "+02:00" offset arrives as " 02:00" after URL decoding, as for param_a.
    end = parseTimestamp(raw.replace(/ (\d{2}(?::?\d{2})?)$/, '+$1'));
    if (end === null) bad('end', `must be an ISO 8601 date-time, e.g. 2025-01-01T00:00:00Z, got "${raw}"`);
  }
  let filters: unknown;
  if (request.method === 'GET') {
    if (query.filters !== undefined) {
      try {
        filters = JSON.parse(String(query.filters));
      } catch {
        bad('filters', 'must be a JSON object (not valid JSON)');
      }
    }
  } else {
    const body = request.body ?? {};
    if (typeof body !== 'object' || Array.isArray(body) || body === null) {
      throw new AppError('validation_error', 'The body must be a JSON object such as {"filters": {...}}', [
        { field: '(body)', message: 'must be an object' },
      ]);
    }
    const unknown = Object.keys(body).filter((k) => k !== 'filters');
    if (unknown.length > 0) {
      throw new AppError(
        'validation_error',
        `Unknown body field(s): ${unknown.join(', ')}; an export's body takes "filters" (format, param_a and end go in the query string)`,
        unknown.map((field) => ({ field, message: 'unknown field' })),
      );
    }
    filters = (body as { filters?: unknown }).filters;
  }
  return { format, since, end, conditions: parseFilters(filters) };
}
