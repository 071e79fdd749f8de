import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { STORE_KINDS, type StoreKind } from './helpers/stores.ts';

/**
 * GET|POST /api/records/analytics/ (docs/analytics.md), scan path, on every store: answers compared with a reference
 * computed here from the records the list endpoint returns (buckets by an independent reading of the zone's wall
 * clock), for random parameters; the daylight-saving cases, weeks, months and a range that starts inside a bucket
 * by hand; the other row; every error; and the two stores' answers with each other.
 */

const MEASURES = [
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
type Measure = (typeof MEASURES)[number];
const DIMENSIONS = ['field_3', 'field_4', 'field_10', 'field_11', 'status', 'field_9__team'] as const;
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York'] as const;
const MODELS = ['gpt-4o', 'gpt-4o-mini', 'claude-3-5-sonnet-20241022', 'no-such-model', null];

/** A small deterministic generator, so that both stores get the same records. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const WINDOWS: [string, string][] = [
  ['2026-03-05T00:00:00Z', '2026-04-03T00:00:00Z'],
  ['2026-10-22T00:00:00Z', '2026-11-05T00:00:00Z'],
];

/** The records every store gets: spread over two windows that hold the 2026 DST changes of Berlin and New York. */
function seedRecords(n: number): Record<string, unknown>[] {
  const r = prng(17);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  return Array.from({ length: n }, () => {
    const [from, to] = pick(WINDOWS).map(Date.parse);
    const ts = new Date(from + Math.floor(r() * ((to - from) / 60_000)) * 60_000 + Math.floor(r() * 60) * 1000);
    const team = pick(['red', 'blue', 7, null, undefined]);
    return {
      timestamp: ts.toISOString(),
      field_3: pick(['type_a', 'type_b', null]),
      field_4: pick(MODELS),
      field_5: r() < 0.8 ? { sub_field_a: Math.floor(r() * 500), sub_field_b: Math.floor(r() * 300) } : null,
      field_7: r() < 0.9 ? Math.round(r() * 5000) / 1000 : null,
      field_8: r() < 0.6 ? Math.round(r() * 800) / 1000 : null,
      field_10: pick(['acme', 'globex', 'initech', null]),
      field_11: pick(['t1', 't2', 't3', 't4', 't5', 't6']),
      field_18: r() < 0.2 ? 500 : 200,
      field_9: team === undefined ? { other: 1 } : { team },
    };
  });
}

// ---- the reference -------------------------------------------------------------------------------------------

const offsetFormat = new Map<string, Intl.DateTimeFormat>();
/** The zone's wall clock at an instant, as milliseconds read as UTC. */
function wall(zone: string, ms: number): number {
  let f = offsetFormat.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    offsetFormat.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, x.value]));
  return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) + (ms % 1000);
}
/** The instant of a local midnight (no DST change at midnight in the zones used here). */
function midnight(zone: string, wallMs: number): number {
  let t = wallMs;
  for (let i = 0; i < 3; i++) t = wallMs - (wall(zone, t) - t);
  return t;
}
/** date_trunc(unit, ts, zone), read off the wall clock: below a day the instant keeps its own offset. */
function refBucket(zone: string, unit: string, ms: number): number {
  const w = wall(zone, ms);
  const offset = w - ms;
  if (unit === 'minute') return Math.floor(w / 60_000) * 60_000 - offset;
  if (unit === 'hour') return Math.floor(w / 3_600_000) * 3_600_000 - offset;
  const d = new Date(Math.floor(w / 86_400_000) * 86_400_000);
  if (unit === 'week') d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  if (unit === 'month') d.setUTCDate(1);
  return midnight(zone, d.getTime());
}

const sum = (xs: number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0));
const defined = (xs: unknown[]) => xs.filter((x): x is number => x !== null && x !== undefined);
function pct(xs: number[], q: number): number | null {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((q * 100 * xs.length) / 100)) - 1];
}
function measuresOf(recs: any[]): Record<Measure, number | null> {
  const n = recs.length;
  const errors = recs.filter((r) => r.status === 'error').length;
  const lat = defined(recs.map((r) => r.field_7));
  const ttft = defined(recs.map((r) => r.field_8));
  const rate = defined(recs.map((r) => r.rate));
  return {
    count: n,
    error_count: errors,
    error_rate: n === 0 ? null : errors / n,
    cost: sum(defined(recs.map((r) => r.field_6))),
    uncosted_count: recs.filter((r) => r.field_6 === null).length,
    tokens_prompt: sum(defined(recs.map((r) => r.sub_field_a))),
    tokens_completion: sum(defined(recs.map((r) => r.sub_field_b))),
    tokens_total: sum(defined(recs.map((r) => r.sub_field_total))),
    latency_avg: lat.length === 0 ? null : sum(lat)! / lat.length,
    latency_p50: pct(lat, 0.5),
    latency_p90: pct(lat, 0.9),
    latency_p95: pct(lat, 0.95),
    latency_p99: pct(lat, 0.99),
    ttft_p50: pct(ttft, 0.5),
    ttft_p95: pct(ttft, 0.95),
    rate_avg: rate.length === 0 ? null : sum(rate)! / rate.length,
  };
}
const groupValue = (rec: any, dim: string) => (dim.startsWith('field_9__') ? (rec.field_9?.[dim.slice(9)] ?? null) : (rec[dim] ?? null));

/** Percentiles a rollup answers come from sketches: within 1% of the exact value (docs/analytics.md). */
const SKETCHED = new Set(['latency_p50', 'latency_p90', 'latency_p95', 'latency_p99', 'ttft_p50', 'ttft_p95']);

function close(actual: unknown, expected: number | null, what: string, relative = 1e-9) {
  if (expected === null || actual === null) return assert.equal(actual, expected, what);
  assert.equal(typeof actual, 'number', what);
  const tolerance = relative * Math.max(Math.abs(expected), 1e-300);
  assert.ok(Math.abs((actual as number) - expected) <= tolerance, `${what}: ${actual} ≠ ${expected}`);
}

interface Params {
  param_a: string;
  end: string;
  interval: string | null;
  tz: string;
  group_by: string[];
  measures: Measure[];
  order_by: string;
  limit: number;
  filters: Record<string, unknown> | null;
}

async function listAll(t: TestApp, filters: Record<string, unknown> | null, since: string): Promise<any[]> {
  const all: any[] = [];
  for (let page = 1; page <= 20; page++) {
    const res = await t.request('POST', `/api/records/list/?param_c=1000&param_b=${page}`, { filters: filters ?? {}, param_a: since });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    all.push(...res.body.results);
    if (res.body.next === null) return all;
  }
  throw new Error('more pages than a test list should have');
}

/** Checks an answer against the records the list returns for the same start and filters. */
async function checkAgainstReference(t: TestApp, p: Params, body: any) {
  const end = Date.parse(p.end);
  const recs = (await listAll(t, p.filters, p.param_a)).filter((r) => Date.parse(r.timestamp) < end);
  const bucketOf = (r: any) => (p.interval === null ? null : refBucket(p.tz, p.interval, Date.parse(r.timestamp)));
  const buckets = new Map<number | null, any[]>();
  for (const r of recs) buckets.set(bucketOf(r), [...(buckets.get(bucketOf(r)) ?? []), r]);
  const rows: any[] = body.results;
  // Buckets: the non-empty ones, oldest first, each given as its start.
  const answered = [...new Set(rows.map((row) => (row.bucket === null ? null : Date.parse(row.bucket))))];
  const expected = [...buckets.keys()].sort((a, b) => (a ?? 0) - (b ?? 0));
  assert.deepEqual(answered, expected, 'the buckets');
  const [orderName, descending] = p.order_by.startsWith('-') ? [p.order_by.slice(1), true] : [p.order_by, false];
  for (const [bucket, inBucket] of buckets) {
    const own = rows.filter((row) => (row.bucket === null ? null : Date.parse(row.bucket)) === bucket);
    const groups = new Map<string, any[]>();
    for (const r of inBucket) {
      const key = JSON.stringify(p.group_by.map((d) => groupValue(r, d)));
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    const shown = own.filter((row) => !row.other);
    assert.equal(shown.length, Math.min(p.limit, groups.size), 'groups shown');
    const seen = new Set<string>();
    const orderValue = (m: Record<string, number | null>) => m[orderName];
    let previous: number | null | undefined;
    for (const row of shown) {
      const key = JSON.stringify(p.group_by.map((d) => row.group[d]));
      assert.ok(groups.has(key), `group ${key} exists`);
      seen.add(key);
      const ref = measuresOf(groups.get(key)!);
      for (const m of p.measures) close(row[m], ref[m], `${bucket} ${key} ${m}`, tolerance(body.source, m));
      const v = orderValue(ref);
      if (previous !== undefined && v !== null) {
        assert.ok(previous !== null, 'nulls last');
        const tol = 2 * tolerance(body.source, orderName) * Math.abs(v);
        assert.ok(descending ? previous >= v - tol : previous <= v + tol, 'ordered by order_by');
      }
      previous = v;
    }
    const rest = [...groups.entries()].filter(([k]) => !seen.has(k));
    const other = own.filter((row) => row.other);
    assert.equal(other.length, rest.length > 0 ? 1 : 0, 'one other row when groups are left out');
    if (rest.length > 0) {
      assert.equal(own.at(-1), other[0], 'the other row is last in its bucket');
      assert.deepEqual(other[0].group, Object.fromEntries(p.group_by.map((d) => [d, null])));
      const last = orderValue(measuresOf(groups.get(JSON.stringify(p.group_by.map((d) => shown.at(-1)!.group[d])))!));
      for (const [, g] of rest) {
        const v = orderValue(measuresOf(g));
        if (v !== null && last !== null)
          assert.ok(
            descending
              ? v <= last + 2 * tolerance(body.source, orderName) * Math.abs(v)
              : v >= last - 2 * tolerance(body.source, orderName) * Math.abs(v),
            'the shown groups are the top ones',
          );
      }
      const ref = measuresOf(rest.flatMap(([, g]) => g));
      for (const m of p.measures) close(other[0][m], ref[m], `${bucket} other ${m}`, tolerance(body.source, m));
    }
  }
}

/** The relative tolerance of a measure in an answer from this source. */
const tolerance = (source: string, m: string) => (source === 'rollup' && SKETCHED.has(m) ? 0.01 : 1e-9);

const analytics = (t: TestApp, p: Partial<Params>) => t.request('POST', '/api/records/analytics/', p);

// ---- the tests -------------------------------------------------------------------------------------------------

const INSTANTS = [
  '2026-03-05T00:00:00Z',
  '2026-03-07T13:17:00Z',
  '2026-03-28T23:00:00Z',
  '2026-03-29T00:30:00+01:00',
  '2026-10-24T12:00:00Z',
  '2026-10-25T00:30:00Z',
  '2026-11-01T05:00:00Z',
  '2026-11-05T00:00:00Z',
];

const paramsArb = fc
  .record({
    range: fc.uniqueArray(fc.constantFrom(...INSTANTS), { minLength: 2, maxLength: 2 }),
    interval: fc.constantFrom(null, 'hour', 'day', 'week', 'month'),
    tz: fc.constantFrom(...ZONES),
    group_by: fc.uniqueArray(fc.constantFrom(...DIMENSIONS), { maxLength: 2 }),
    measures: fc.uniqueArray(fc.constantFrom(...MEASURES), { minLength: 1, maxLength: 5 }),
    order: fc.nat(4),
    descending: fc.boolean(),
    limit: fc.constantFrom(1, 2, 3, 100),
    filters: fc.constantFrom(
      null,
      { field_4: { operator: 'in', value: ['gpt-4o', 'no-such-model'] } },
      { field_7: { operator: 'gt', value: 1.5 } },
      { status: { operator: '', value: ['error'] } },
      { field_9__team: { operator: 'isnull', value: false } },
    ),
  })
  .map(({ range, order, descending, measures, ...rest }): Params => {
    const [a, b] = range.map((s) => new Date(Date.parse(s)).toISOString()).sort();
    const measure = measures[order % measures.length];
    return { ...rest, measures, param_a: a, end: b, order_by: `${descending ? '-' : ''}${measure}` };
  });

const RECORDS = seedRecords(600);

describe('analytics', () => {
  const apps = new Map<StoreKind, TestApp>();
  before(async () => {
    for (const kind of STORE_KINDS) {
      const t = await startTestApp(kind);
      await t.createMany(RECORDS.length, (i) => RECORDS[i]);
      apps.set(kind, t);
    }
  });
  after(async () => {
    for (const t of apps.values()) await t.close();
  });

  for (const kind of STORE_KINDS) {
    describe(kind, () => {
      test('random parameters give the reference answer', async () => {
        const t = apps.get(kind)!;
        await fc.assert(
          fc.asyncProperty(paramsArb, async (p) => {
            const res = await analytics(t, p);
            assert.equal(res.status, 200, JSON.stringify(res.body));
            assert.ok(['scan', 'rollup'].includes(res.body.source));
            await checkAgainstReference(t, p, res.body);
          }),
          { numRuns: 40, seed: 4711 },
        );
      });

      test('GET reads the same parameters, comma-separated, with filters as JSON', async () => {
        const t = apps.get(kind)!;
        const p = {
          param_a: '2026-10-22T00:00:00Z',
          end: '2026-11-05T00:00:00Z',
          interval: 'day',
          tz: 'Europe/Berlin',
          group_by: ['field_4', 'status'],
          measures: ['count', 'cost', 'latency_p95'] as Measure[],
          order_by: '-cost',
          limit: 2,
          filters: { field_10: { operator: 'in', value: ['acme', 'globex'] } },
        };
        const qs = new URLSearchParams({
          ...p,
          group_by: p.group_by.join(','),
          measures: p.measures.join(','),
          limit: '2',
          filters: JSON.stringify(p.filters),
        });
        const get = await t.request('GET', `/api/records/analytics?${qs}`);
        const post = await analytics(t, p);
        assert.equal(get.status, 200, JSON.stringify(get.body));
        assert.deepEqual(get.body, post.body);
        await checkAgainstReference(t, p, get.body);
        // Body keys win over the query string.
        const won = await t.request('POST', '/api/records/analytics/?limit=1&interval=hour', p);
        assert.deepEqual(won.body, post.body);
      });

      test('the defaults: the last 30 days, one bucket, the default measures, -count, limit 100', async () => {
        const t = apps.get(kind)!;
        const res = await t.request('GET', '/api/records/analytics/');
        assert.equal(res.status, 200);
        assert.equal(Date.parse(res.body.end) - Date.parse(res.body.param_a), 30 * 86_400_000);
        assert.deepEqual([res.body.interval, res.body.tz, res.body.group_by, res.body.results], [null, 'UTC', [], []]);
        const all = await analytics(t, { param_a: '2026-01-01T00:00:00Z', end: '2027-01-01T00:00:00Z' });
        assert.deepEqual(Object.keys(all.body.results[0]), [
          'bucket',
          'group',
          'count',
          'cost',
          'tokens_total',
          'latency_p50',
          'latency_p95',
          'error_count',
        ]);
        assert.equal(all.body.results[0].bucket, null);
        assert.equal(all.body.results[0].count, RECORDS.length);
      });

      test('daylight saving: 23- and 25-hour days, the repeated hour twice, weeks from Monday, months, a range starting inside a bucket', async () => {
        const t = await startTestApp(kind);
        try {
          const at = [
            '2026-10-24T22:30:00Z',
            '2026-10-25T00:30:00Z',
            '2026-10-25T01:30:00Z',
            '2026-10-25T22:59:00Z',
            '2026-10-25T23:00:00Z',
            '2026-03-08T04:59:00Z',
            '2026-03-08T05:00:00Z',
            '2026-03-09T03:59:00Z',
            '2026-03-09T04:00:00Z',
            '2026-11-01T04:00:00Z',
            '2026-11-01T05:30:00Z',
            '2026-11-01T06:30:00Z',
            '2026-11-02T04:59:00Z',
            '2026-11-02T05:00:00Z',
          ];
          await t.createMany(at.length, (i) => ({ timestamp: at[i], field_4: 'gpt-4o', field_7: i }));
          const buckets = async (p: Partial<Params>) =>
            (await analytics(t, { measures: ['count'], ...p })).body.results.map((r: any) => [r.bucket, r.count]);
          const oct = { param_a: '2026-10-20T00:00:00Z', end: '2026-10-27T00:00:00Z', tz: 'Europe/Berlin' };
          // Berlin, 25 October 2026: 25 hours, from 00:00+02:00 to the next midnight at +01:00.
          assert.deepEqual(await buckets({ ...oct, interval: 'day' }), [
            ['2026-10-25T00:00:00+02:00', 4],
            ['2026-10-26T00:00:00+01:00', 1],
          ]);
          // 02:00-03:00 happens twice: one bucket per offset.
          assert.deepEqual(await buckets({ ...oct, interval: 'hour' }), [
            ['2026-10-25T00:00:00+02:00', 1],
            ['2026-10-25T02:00:00+02:00', 1],
            ['2026-10-25T02:00:00+01:00', 1],
            ['2026-10-25T23:00:00+01:00', 1],
            ['2026-10-26T00:00:00+01:00', 1],
          ]);
          // The week of Monday 19 October; the month of October, then November.
          assert.deepEqual(await buckets({ ...oct, interval: 'week' }), [
            ['2026-10-19T00:00:00+02:00', 4],
            ['2026-10-26T00:00:00+01:00', 1],
          ]);
          assert.deepEqual(await buckets({ ...oct, end: '2026-10-31T00:00:00Z', interval: 'month' }), [['2026-10-01T00:00:00+02:00', 5]]);
          assert.deepEqual(await buckets({ ...oct, param_a: '2026-10-25T00:00:00Z', interval: 'month' }), [
            ['2026-10-01T00:00:00+02:00', 4],
          ]);
          // A range that starts inside a bucket counts only what is inside the range; the bucket keeps its start.
          assert.deepEqual(await buckets({ ...oct, param_a: '2026-10-25T01:00:00Z', interval: 'day' }), [
            ['2026-10-25T00:00:00+02:00', 2],
            ['2026-10-26T00:00:00+01:00', 1],
          ]);
          // New York, 8 March 2026: 23 hours. In UTC the same records fall in UTC days.
          const mar = { param_a: '2026-03-07T00:00:00Z', end: '2026-03-10T00:00:00Z', interval: 'day' };
          assert.deepEqual(await buckets({ ...mar, tz: 'America/New_York' }), [
            ['2026-03-07T00:00:00-05:00', 1],
            ['2026-03-08T00:00:00-05:00', 2],
            ['2026-03-09T00:00:00-04:00', 1],
          ]);
          assert.deepEqual(await buckets(mar), [
            ['2026-03-08T00:00:00Z', 2],
            ['2026-03-09T00:00:00Z', 2],
          ]);
          // New York, 1 November 2026: 25 hours, and 01:00-02:00 twice.
          const nov = { param_a: '2026-10-31T00:00:00Z', end: '2026-11-03T00:00:00Z', tz: 'America/New_York' };
          assert.deepEqual(await buckets({ ...nov, interval: 'day' }), [
            ['2026-11-01T00:00:00-04:00', 4],
            ['2026-11-02T00:00:00-05:00', 1],
          ]);
          assert.deepEqual(await buckets({ ...nov, interval: 'hour' }), [
            ['2026-11-01T00:00:00-04:00', 1],
            ['2026-11-01T01:00:00-04:00', 1],
            ['2026-11-01T01:00:00-05:00', 1],
            ['2026-11-01T23:00:00-05:00', 1],
            ['2026-11-02T00:00:00-05:00', 1],
          ]);
        } finally {
          await t.close();
        }
      });

      test('a local midnight read twice (Havana) and a 30-minute change (Lord Howe): buckets as date_trunc names them, whatever the range', async () => {
        const t = await startTestApp(kind);
        try {
          const at = [
            '2025-11-02T03:30:00Z', // Havana 23:30-04:00, 1 November
            '2025-11-02T04:30:00Z', // 00:30-04:00, 2 November: before the day's start as PostgreSQL places it (05:00Z)
            '2025-11-02T04:59:59Z',
            '2025-11-02T05:30:00Z', // 00:30-05:00, 2 November again
            '2025-04-05T14:10:00Z', // Lord Howe 01:10+11:00
            '2025-04-05T14:40:00Z', // 01:40+11:00
            '2025-04-05T15:10:00Z', // 01:40+10:30 (the change at 15:00Z): the hour that started at 14:30Z
            '2025-04-05T15:40:00Z', // 02:10+10:30
          ];
          await t.createMany(at.length, (i) => ({ timestamp: at[i], field_4: 'gpt-4o', field_7: i }));
          const buckets = async (p: Partial<Params>) => {
            const res = await analytics(t, { measures: ['count'], ...p });
            assert.equal(res.status, 200, JSON.stringify(res.body));
            return res.body.results.map((r: any) => [Date.parse(r.bucket), r.count]);
          };
          const havana = { end: '2025-11-03T00:00:00Z', interval: 'day', tz: 'America/Havana' };
          const days = [
            [Date.parse('2025-11-01T04:00:00Z'), 1],
            [Date.parse('2025-11-02T05:00:00Z'), 3],
          ];
          // A whole-hour range (rollups) and the same with a filter the rollups cannot serve (a scan).
          for (const [filters, source] of [
            [null, 'rollup'],
            [{ field_7: { operator: 'gte', value: [0] } }, 'scan'],
          ] as const) {
            const first = await analytics(t, { measures: ['count'], ...havana, param_a: '2025-11-01T00:00:00Z', filters });
            assert.equal(first.body.source, source);
            assert.deepEqual(await buckets({ ...havana, param_a: '2025-11-01T00:00:00Z', filters }), days);
            // Starting inside the day's first hour: the same day, the records in range.
            assert.deepEqual(await buckets({ ...havana, param_a: '2025-11-02T04:00:00Z', filters }), [[days[1][0], 3]]);
            assert.deepEqual(await buckets({ ...havana, param_a: '2025-11-02T03:00:00Z', filters }), days);
            const howe = {
              param_a: '2025-04-05T13:00:00Z',
              end: '2025-04-05T17:00:00Z',
              interval: 'hour',
              tz: 'Australia/Lord_Howe',
              filters,
            };
            assert.deepEqual(await buckets(howe), [
              [Date.parse('2025-04-05T14:00:00Z'), 2],
              [Date.parse('2025-04-05T14:30:00Z'), 1],
              [Date.parse('2025-04-05T15:30:00Z'), 1],
            ]);
          }
        } finally {
          await t.close();
        }
      });

      test('the other row adds up the groups past the limit, percentiles included (scan and rollup)', async () => {
        const t = await startTestApp(kind);
        try {
          const models = ['a', 'a', 'a', 'a', 'b', 'b', 'b', 'c', 'c', 'd', null];
          await t.createMany(models.length, (i) => ({
            timestamp: '2026-05-01T10:00:00Z',
            field_4: models[i],
            field_7: i + 1,
            field_6: i === 10 ? null : 0.5,
          }));
          const expected = [
            { bucket: null, group: { field_4: 'a' }, count: 4, latency_p50: 2, cost: 2, uncosted_count: 0 },
            { bucket: null, group: { field_4: 'b' }, count: 3, latency_p50: 6, cost: 1.5, uncosted_count: 0 },
            { bucket: null, group: { field_4: null }, count: 4, latency_p50: 9, cost: 1.5, uncosted_count: 1, other: true },
          ];
          // A range starting inside an hour is a scan (exact percentiles); whole hours are the rollups' (within 1%).
          for (const [param_a, source] of [
            ['2026-05-01T00:00:01Z', 'scan'],
            ['2026-05-01T00:00:00Z', 'rollup'],
          ]) {
            const res = await analytics(t, {
              param_a,
              end: '2026-05-02T00:00:00Z',
              group_by: ['field_4'],
              measures: ['count', 'latency_p50', 'cost', 'uncosted_count'],
              limit: 2,
            });
            assert.equal(res.body.source, source);
            if (source === 'scan') assert.deepEqual(res.body.results, expected);
            const approximate = res.body.results.map((r: any, i: number) => {
              close(r.latency_p50, expected[i].latency_p50, `row ${i} latency_p50`, 0.01);
              return { ...r, latency_p50: expected[i].latency_p50 };
            });
            assert.deepEqual(approximate, expected);
          }
        } finally {
          await t.close();
        }
      });

      // The contract's "at the least" for the customer (docs/analytics.md, "Which requests rollups serve"): answered
      // by the hourly customer rollups, equal to the scan of the same request (a filter every record passes that is
      // no dimension forces the scan): counts and sums to 1e-9, percentiles within the sketches' 1%; and to the
      // reference from the list.
      test('customer requests of the contract\'s "at the least" are rollups, equal to the scan', async () => {
        const t = apps.get(kind)!;
        const DEFAULTS: Measure[] = ['count', 'cost', 'tokens_total', 'latency_p50', 'latency_p95', 'error_count'];
        const base = { tz: 'UTC', interval: null, limit: 100, filters: null, measures: DEFAULTS, order_by: '-count' };
        const cases: [string, Params][] = [
          [
            'group_by field_10, interval hour',
            { ...base, param_a: '2026-03-05T00:00:00Z', end: '2026-03-09T00:00:00Z', interval: 'hour', group_by: ['field_10'] },
          ],
          [
            'group_by field_10,field_4 with a status filter',
            {
              ...base,
              param_a: '2026-03-05T00:00:00Z',
              end: '2026-04-03T00:00:00Z',
              interval: 'day',
              group_by: ['field_10', 'field_4'],
              filters: { status: { operator: '', value: ['error'] } },
            },
          ],
          [
            'a field_10 "in" filter with percentiles',
            {
              ...base,
              param_a: '2026-10-22T00:00:00Z',
              end: '2026-11-05T00:00:00Z',
              interval: 'week',
              group_by: ['field_4'],
              measures: ['count', 'latency_p50', 'latency_p90', 'latency_p95', 'latency_p99', 'ttft_p50', 'ttft_p95'],
              filters: { field_10: { operator: 'in', value: ['acme', 'globex'] } },
            },
          ],
          [
            'interval day in Europe/Berlin grouped by customer',
            {
              ...base,
              param_a: '2026-03-04T23:00:00Z',
              end: '2026-04-02T22:00:00Z',
              interval: 'day',
              tz: 'Europe/Berlin',
              group_by: ['field_10'],
              measures: [...DEFAULTS, 'rate_avg', 'latency_avg', 'uncosted_count', 'error_rate', 'tokens_prompt'],
            },
          ],
          [
            'the other row',
            {
              ...base,
              param_a: '2026-03-05T00:00:00Z',
              end: '2026-11-05T00:00:00Z',
              interval: 'month',
              group_by: ['field_10', 'field_4'],
              limit: 2,
              measures: [...DEFAULTS, 'ttft_p95'],
            },
          ],
        ];
        for (const [what, p] of cases) {
          const res = await analytics(t, p);
          assert.equal(res.status, 200, `${what}: ${JSON.stringify(res.body)}`);
          assert.equal(res.body.source, 'rollup', what);
          const scan = await analytics(t, { ...p, filters: { ...p.filters, field_18: { operator: 'gte', value: [100] } } });
          assert.equal(scan.body.source, 'scan', what);
          const keyOf = (r: any) => JSON.stringify([r.bucket, r.group, r.other ?? false]);
          assert.deepEqual(res.body.results.map(keyOf), scan.body.results.map(keyOf), `${what}: the rows`);
          assert.ok(res.body.results.length > 0, `${what}: rows`);
          res.body.results.forEach((row: any, i: number) => {
            for (const m of p.measures) close(row[m], scan.body.results[i][m], `${what}: ${keyOf(row)} ${m}`, tolerance('rollup', m));
          });
          if (what === 'the other row')
            assert.ok(
              res.body.results.some((r: any) => r.other),
              'an other row',
            );
          await checkAgainstReference(t, p, res.body);
        }
      });

      test('every malformed parameter is a 400 naming it', async () => {
        const t = apps.get(kind)!;
        const cases: [Record<string, unknown>, string][] = [
          [{ measures: ['count', 'nope'] }, 'measures'],
          [{ group_by: ['field_2'] }, 'group_by'],
          [{ group_by: ['field_3', 'field_4', 'status'] }, 'group_by'],
          [{ interval: 'fortnight' }, 'interval'],
          [{ tz: 'Mars/Olympus' }, 'tz'],
          [{ tz: '+02:00' }, 'tz'],
          [{ param_a: 'yesterday' }, 'param_a'],
          [{ end: '2026-13-01T00:00:00Z' }, 'end'],
          [{ param_a: '2026-02-01T00:00:00Z', end: '2026-01-01T00:00:00Z' }, 'param_a'],
          [{ limit: 0 }, 'limit'],
          [{ limit: 1001 }, 'limit'],
          [{ limit: 'ten' }, 'limit'],
          [{ measures: ['count'], order_by: 'cost' }, 'order_by'],
          [{ order_by: '-nope' }, 'order_by'],
          [{ param_a: '2026-01-01T00:00:00Z', end: '2026-01-08T00:00:01Z', interval: 'minute' }, 'interval'],
          [{ filters: { nope: { operator: '', value: [1] } } }, 'filters'],
          [{ filters: { field_7: { operator: 'gt', value: ['x'] } } }, 'filters'],
          [{ filters: { field_7: { operator: 'almost', value: [1] } } }, 'filters'],
        ];
        for (const [body, name] of cases) {
          const res = await analytics(t, body as Partial<Params>);
          assert.equal(res.status, 400, `${JSON.stringify(body)} → ${res.status}`);
          assert.equal(res.body.error.details[0].field, name, JSON.stringify(res.body));
          assert.match(res.body.error.message, new RegExp(name));
        }
        assert.equal((await t.request('GET', '/api/records/analytics/?filters={')).body.error.details[0].field, 'filters');
        assert.equal(
          (await analytics(t, { param_a: '2026-01-01T00:00:00Z', end: '2026-01-07T22:40:00Z', interval: 'minute' })).status,
          200,
          '10,000 buckets are allowed',
        );
        assert.equal((await t.request('GET', '/api/records/analytics/', undefined, { authorization: 'Bearer wrong' })).status, 401);
      });
    });
  }

  test('the stores answer alike', { skip: STORE_KINDS.length < 2 }, async () => {
    await fc.assert(
      fc.asyncProperty(paramsArb, async (p) => {
        const [a, b] = await Promise.all(STORE_KINDS.map((k) => analytics(apps.get(k)!, p)));
        assert.equal(a.status, 200);
        assert.equal(JSON.stringify(Object.keys(a.body)), JSON.stringify(Object.keys(b.body)));
        assert.equal(a.body.results.length, b.body.results.length);
        a.body.results.forEach((row: any, i: number) => {
          const other = b.body.results[i];
          assert.deepEqual([row.bucket, row.group, row.other], [other.bucket, other.group, other.other]);
          for (const m of p.measures) close(row[m], other[m], `${i} ${m}`);
        });
      }),
      { numRuns: 40, seed: 99 },
    );
  });
});
