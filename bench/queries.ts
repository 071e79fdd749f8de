import type { SeedInfo } from './seed.ts';

const HOUR_US = 3_600_000_000;
const iso = (us: number) => new Date(us / 1000).toISOString();

/** A query of the query scenario: the path of request number i, and the latency it should stay under. */
export interface BenchQuery {
  name: string;
  path(i: number): string;
  /** p50 and p99 targets in ms; the list targets when absent (get by id has its own, see query.ts). */
  target?: { p50: number; p99: number };
}

/** The explorer's summary over 1M records: what "fast with 1M records behind it" (issue 4) asks of it. */
const SUMMARY_TARGET = { p50: 300, p99: 1000 };

const list = (params: Record<string, string>, filters?: unknown) => {
  const q = new URLSearchParams(params);
  if (filters) q.set('filters', JSON.stringify(filters));
  const s = q.toString();
  return `/api/records/list/${s ? `?${s}` : ''}`;
};
const summary = (params: Record<string, string>, filters?: unknown) => list(params, filters).replace('/list/', '/summary/');

/** The queries measured on the seeded table; windows are relative to the seeded data's last timestamp. */
export function benchQueries(info: SeedInfo): BenchQuery[] {
  const dayAgo = iso(info.lastTs - 24 * HOUR_US);
  const hourAgo = iso(info.lastTs - HOUR_US);
  return [
    { name: 'get by id', path: (i) => `/api/records/${info.sampleIds[i % info.sampleIds.length]}/` },
    { name: 'default list (page 1, 100, -id)', path: () => list({}) },
    { name: 'field_10 equality', path: (i) => list({}, { field_10: { operator: '', value: [`customer_${(i * 37) % 1000}`] } }) },
    {
      name: 'field_9__feature in (2 of 5 values)',
      path: () => list({}, { field_9__feature: { operator: 'in', value: ['summarise', 'classify'] } }),
    },
    {
      name: 'field_6 gt 0.005, sorted -field_6',
      path: () => list({ param_d: '-field_6' }, { field_6: { operator: 'gt', value: [0.005] } }),
    },
    {
      name: 'icontains field_2, 24 h window',
      path: () => list({ param_a: dayAgo }, { field_2: { operator: 'icontains', value: ['überweisung'] } }),
    },
    { name: 'icontains field_2, whole table', path: () => list({}, { field_2: { operator: 'icontains', value: ['überweisung'] } }) },
    { name: 'param_a: last hour', path: () => list({ param_a: hourAgo }) },
    { name: 'deep page (param_b=1000, param_c=100)', path: () => list({ param_b: '1000', param_c: '100' }) },
    { name: 'summary, unfiltered', path: () => summary({}), target: SUMMARY_TARGET },
    { name: 'summary, param_a: 24 h window', path: () => summary({ param_a: dayAgo }), target: SUMMARY_TARGET },
    {
      name: 'summary, field_10 equality',
      path: (i) => summary({}, { field_10: { operator: '', value: [`customer_${(i * 37) % 1000}`] } }),
      target: SUMMARY_TARGET,
    },
  ];
}

/**
 * Each list query again with count=false (Tally's extension parameter: the reply's count is null), placed right
 * after it, so the table shows what the count costs. Other queries pass through unchanged.
 */
export function withAndWithoutCount(queries: BenchQuery[]): BenchQuery[] {
  return queries.flatMap((q) => {
    if (!q.path(0).startsWith('/api/records/list/')) return [q];
    const noCount = (i: number) => {
      const path = q.path(i);
      return `${path}${path.includes('?') ? '&' : '?'}count=false`;
    };
    return [q, { name: `${q.name} [count=false]`, path: noCount }];
  });
}
