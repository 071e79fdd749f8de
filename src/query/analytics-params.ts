import { AppError } from '../errors.ts';
import { FIELD_BY_NAME, METADATA_PREFIX } from '../fields/registry.ts';
import { parseTimestamp } from '../time.ts';
import { bucketStarts, INTERVALS, isTimeZone, type Interval } from './calendar.ts';
import { parseFilters, resolveTarget, type Condition, type Target } from './filters.ts';

/** The measures of docs/analytics.md, in the order the contract lists them. */
export const MEASURES = [
  'count',
  'error_count',
  'error_rate',
  'cost',
  'uncosted_count',
  'tokens_prompt',
  'tokens_completion',
  'tokens_total',
  'latency_avg',
  'latency_p50',
  'latency_p90',
  'latency_p95',
  'latency_p99',
  'ttft_p50',
  'ttft_p95',
  'rate_avg',
] as const;
export type Measure = (typeof MEASURES)[number];

export const DEFAULT_MEASURES: readonly Measure[] = ['count', 'cost', 'tokens_total', 'latency_p50', 'latency_p95', 'error_count'];
/** The fields group_by may name besides field_9__<key>. */
export const DIMENSION_FIELDS = ['field_3', 'field_4', 'field_10', 'field_11', 'status'] as const;
export const MAX_DIMENSIONS = 2;
export const MAX_BUCKETS = 10_000;
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
/** param_a's default: this long before end. */
const DEFAULT_SPAN_US = 30 * 86_400_000_000;

export interface AnalyticsParams {
  /** [start, end) in microseconds. */
  start: number;
  end: number;
  interval: Interval | null;
  tz: string;
  /** Bucket starts in microseconds, oldest first, or null for one bucket over the range. */
  bucketStarts: number[] | null;
  groupBy: { name: string; target: Target }[];
  measures: Measure[];
  orderBy: { measure: Measure; descending: boolean };
  limit: number;
  conditions: Condition[];
}

const BODY_KEYS = new Set(['param_a', 'end', 'interval', 'tz', 'group_by', 'measures', 'filters', 'order_by', 'limit']);

function bad(name: string, message: string): never {
  throw new AppError('invalid_query_parameter', `Parameter ${name} ${message}`, [{ field: name, message }]);
}

/** A parameter that is one value: a string on GET, a string or a number on POST. */
function scalar(input: Record<string, unknown>, name: string): string | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return bad(name, 'must be one value, not a list (or was given more than once)');
  if (typeof v !== 'string' && typeof v !== 'number') return bad(name, `must be a string or a number, got ${JSON.stringify(v)}`);
  const text = String(v).trim();
  return text === '' ? undefined : text;
}

/** A list parameter: comma-separated on GET (or repeated), an array on POST. */
function list(input: Record<string, unknown>, name: string): string[] | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  const items = (Array.isArray(v) ? v : [v]).flatMap((item) => {
    if (typeof item !== 'string') return bad(name, `must be strings, got ${JSON.stringify(item)}`);
    return item.split(',');
  });
  const names = items.map((s) => s.trim()).filter((s) => s !== '');
  return names.length === 0 ? undefined : [...new Set(names)];
}

function instant(input: Record<string, unknown>, name: string): number | undefined {
  const raw = scalar(input, name);
  if (raw === undefined) return undefined;
  // An unencoded "+02:00" offset arrives as " 02:00" after URL decoding; read it as meant (as the list does).
  const us = parseTimestamp(raw.replace(/ (\d{2}(?::?\d{2})?)$/, '+$1'));
  if (us === null) return bad(name, `must be an ISO 8601 date-time in the years 1700-2200, such as 2026-12-01T00:00:00Z, got "${raw}"`);
  return us;
}

function dimension(name: string): { name: string; target: Target } {
  if ((DIMENSION_FIELDS as readonly string[]).includes(name)) return { name, target: resolveTarget(name) };
  if (name.startsWith(METADATA_PREFIX) && name.length > METADATA_PREFIX.length) {
    try {
      return { name, target: resolveTarget(name) };
    } catch (err) {
      return bad('group_by', `names an invalid metadata key "${name}": ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const allowed = [...DIMENSION_FIELDS, `${METADATA_PREFIX}<key>`].join(', ');
  return bad('group_by', `cannot group by "${name}"${FIELD_BY_NAME.has(name) ? '' : ' (no such field)'}; use ${allowed}`);
}

function measuresOf(input: Record<string, unknown>): Measure[] {
  const names = list(input, 'measures');
  if (names === undefined) return [...DEFAULT_MEASURES];
  for (const n of names)
    if (!(MEASURES as readonly string[]).includes(n)) bad('measures', `has an unknown measure "${n}"; use ${MEASURES.join(', ')}`);
  return names as Measure[];
}

function limitOf(input: Record<string, unknown>): number {
  const raw = scalar(input, 'limit');
  if (raw === undefined) return DEFAULT_LIMIT;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= MAX_LIMIT)) return bad('limit', `must be an integer from 1 to ${MAX_LIMIT}, got "${raw}"`);
  return n;
}

function orderOf(input: Record<string, unknown>, measures: Measure[]): AnalyticsParams['orderBy'] {
  const raw = scalar(input, 'order_by');
  // The default orders by count, which every group has even when it is not asked for.
  if (raw === undefined) return { measure: 'count', descending: true };
  const descending = raw.startsWith('-');
  const name = descending ? raw.slice(1) : raw;
  if (!(measures as string[]).includes(name))
    return bad('order_by', `must be a requested measure (${measures.join(', ')}), "-" for descending; got "${raw}"`);
  return { measure: name as Measure, descending };
}

function filtersOf(filters: unknown): Condition[] {
  try {
    return parseFilters(filters);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    // The list's own error (its code and details), said to be about the filters parameter.
    throw new AppError(err.code, `Parameter filters: ${err.message}`, [{ field: 'filters', message: err.message }, ...err.details]);
  }
}

/** The parameters of one request: the query string's, overridden by a POST body's keys. */
export function analyticsInput(query: Record<string, unknown>, body: unknown, isPost: boolean): Record<string, unknown> {
  const input: Record<string, unknown> = { ...query };
  if (typeof query.filters === 'string') {
    try {
      input.filters = JSON.parse(query.filters);
    } catch {
      return bad('filters', 'must be a JSON object such as {"field_4": {"operator": "", "value": ["gpt-4o"]}}');
    }
  } else if (query.filters !== undefined) bad('filters', 'was given more than once');
  if (!isPost || body === undefined || body === null) return input;
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('validation_error', 'The body must be a JSON object of analytics parameters', [
      { field: '(body)', message: 'must be an object' },
    ]);
  }
  const unknown = Object.keys(body).filter((k) => !BODY_KEYS.has(k));
  if (unknown.length > 0) {
    throw new AppError(
      'validation_error',
      `Unknown body field(s): ${unknown.join(', ')}`,
      unknown.map((field) => ({ field, message: 'unknown field' })),
    );
  }
  for (const [k, v] of Object.entries(body)) if (v !== undefined) input[k] = v;
  return input;
}

/** Reads and checks every parameter of docs/analytics.md; each problem is a 400 naming its parameter. */
export function parseAnalyticsParams(input: Record<string, unknown>, nowUs: number): AnalyticsParams {
  const measures = measuresOf(input);
  const names = list(input, 'group_by') ?? [];
  if (names.length > MAX_DIMENSIONS) bad('group_by', `takes at most ${MAX_DIMENSIONS} dimensions, got ${names.length}`);
  const groupBy = names.map(dimension);
  const orderBy = orderOf(input, measures);
  const limit = limitOf(input);
  const intervalRaw = scalar(input, 'interval');
  if (intervalRaw !== undefined && !(INTERVALS as readonly string[]).includes(intervalRaw))
    bad('interval', `must be one of ${INTERVALS.join(', ')} (or absent for one bucket), got "${intervalRaw}"`);
  const interval = (intervalRaw ?? null) as Interval | null;
  const tz = scalar(input, 'tz') ?? 'UTC';
  if (!isTimeZone(tz)) bad('tz', `must be an IANA time zone such as Europe/Berlin, got "${tz}"`);
  const end = instant(input, 'end') ?? nowUs;
  const start = instant(input, 'param_a') ?? end - DEFAULT_SPAN_US;
  if (start > end) bad('param_a', 'must not be after end');
  const conditions = filtersOf(input.filters);
  let starts: number[] | null = null;
  if (interval !== null) {
    const ms = bucketStarts(tz, interval, Math.floor(start / 1000), Math.ceil(end / 1000), MAX_BUCKETS);
    if (ms === null)
      bad('interval', `would make more than ${MAX_BUCKETS} buckets between param_a and end; use a longer interval or a shorter range`);
    starts = ms.map((m) => m * 1000);
  }
  return { start, end, interval, tz, bucketStarts: starts, groupBy, measures, orderBy, limit, conditions };
}
