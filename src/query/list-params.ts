import { AppError } from '../errors.ts';
import { FIELDS, FIELD_BY_NAME, SORT_OPTIONS, isSortable } from '../fields/registry.ts';
import { parseTimestamp } from '../time.ts';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export interface Sort {
  field: string;
  column: string;
  descending: boolean;
}

export interface ListParams {
  since: number | null;
  page: number;
  pageSize: number;
  sort: Sort;
  /** Tally's extension to the seed's parameters: count=false skips the count (the reply's count is null). */
  count: boolean;
}

function bad(name: string, message: string): never {
  throw new AppError('invalid_query_parameter', `Query parameter ${name} ${message}`, [{ field: name, message }]);
}

function single(query: Record<string, unknown>, name: string): string | undefined {
  const v = query[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return bad(name, 'was given more than once');
  return String(v);
}

function positiveInt(query: Record<string, unknown>, name: string, fallback: number): number {
  const raw = single(query, name);
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) return bad(name, `must be a positive integer, got "${raw}"`);
  const n = Number(raw);
  if (n < 1 || !Number.isSafeInteger(n)) return bad(name, `must be a positive integer, got "${raw}"`);
  return n;
}

/** The sort named by param_d: option_1..option_4 or a sortable field's own name, "-" for descending. */
function parseSort(raw: string | undefined): Sort {
  const text = raw === undefined || raw === '' ? '-id' : raw;
  const descending = text.startsWith('-');
  const name = descending ? text.slice(1) : text;
  const fieldName = SORT_OPTIONS[name] ?? name;
  const field = FIELD_BY_NAME.get(fieldName);
  if (!field || !isSortable(field)) {
    const allowed = [...Object.keys(SORT_OPTIONS), ...FIELDS.filter(isSortable).map((f) => f.name)];
    return bad('param_d', `cannot sort by "${name}"; use one of ${allowed.join(', ')} (prefix "-" for descending)`);
  }
  return { field: field.name, column: field.storage.column, descending };
}

function flag(query: Record<string, unknown>, name: string, fallback: boolean): boolean {
  const raw = single(query, name);
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  return bad(name, `must be true or false, got "${raw}"`);
}

/** Reads param_a..param_d (and the count extension) from a query string object. */
export function parseListParams(query: Record<string, unknown>): ListParams {
  const sinceRaw = single(query, 'param_a');
  let since: number | null = null;
  if (sinceRaw !== undefined && sinceRaw !== '') {
    // An unencoded "+02:00" offset arrives as " 02:00" after URL decoding; read it as meant.
    since = parseTimestamp(sinceRaw.replace(/ (\d{2}(?::?\d{2})?)$/, '+$1'));
    if (since === null) bad('param_a', `must be an ISO 8601 date-time, e.g. 2025-01-01T00:00:00Z, got "${sinceRaw}"`);
  }
  const page = positiveInt(query, 'param_b', 1);
  const pageSize = positiveInt(query, 'param_c', DEFAULT_PAGE_SIZE);
  if (pageSize > MAX_PAGE_SIZE) bad('param_c', `must be at most ${MAX_PAGE_SIZE}, got ${pageSize}`);
  return { since, page, pageSize, sort: parseSort(single(query, 'param_d')), count: flag(query, 'count', true) };
}
