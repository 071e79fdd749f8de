import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bucketLabel, bucketStarts, INTERVALS, offsetAt, type Interval } from '../src/query/calendar.ts';
import { POSTGRES_AVAILABLE, TEST_PG_URL, withClient } from './helpers/stores.ts';

/**
 * The analytics buckets against PostgreSQL's own date_trunc(unit, ts, zone) (docs/analytics.md, "Calendar buckets in
 * a zone"): for instants at and around every offset change of 2024-2025 in zones whose changes are unusual (a local
 * midnight read twice or skipped, a 30-minute change, a 2-hour one, half-hour and 45-minute offsets) and at random
 * instants, the bucket a record falls in (the last bucketStarts value at or before it) is named by bucketLabel as
 * date_trunc names it, whichever range the buckets were made for.
 */
const ZONES = [
  'America/Havana', // autumn: 01:00 → 00:00, local midnight read twice
  'America/Santiago', // spring: 24:00 → 01:00, local midnight skipped
  'Australia/Lord_Howe', // a 30-minute change
  'Antarctica/Troll', // a 2-hour change
  'Europe/Berlin',
  'America/New_York',
  'America/St_Johns', // -03:30 / -02:30
  'Pacific/Chatham', // +12:45 / +13:45
  'Asia/Kathmandu', // +05:45, no changes
  'Asia/Kolkata',
  'UTC',
];

const FROM = Date.UTC(2024, 0, 1);
const TO = Date.UTC(2026, 0, 1);
const WIDTH: Record<Interval, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000, month: 31 * 86_400_000 };

/** The offset changes of a zone in [FROM, TO), to the second. */
function changes(zone: string): number[] {
  const found: number[] = [];
  let previous = offsetAt(zone, FROM);
  for (let t = FROM + 3_600_000; t < TO; t += 3_600_000) {
    const offset = offsetAt(zone, t);
    if (offset === previous) continue;
    let lo = (t - 3_600_000) / 1000;
    let hi = t / 1000;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (offsetAt(zone, mid * 1000) === previous) lo = mid;
      else hi = mid;
    }
    found.push(hi * 1000);
    previous = offset;
  }
  return found;
}

/** Instants to check in a zone: around each change, and spread over the two years (a fixed sequence). */
function instants(zone: string): number[] {
  const near = [0, 1, 1_000, 600_000, 1_800_000, 3_599_000, 3_600_000, 5_400_000, 7_200_000, 86_400_000];
  const out = new Set<number>();
  for (const c of changes(zone)) for (const d of near) for (const t of [c - d, c + d, c - d - 1]) out.add(t);
  let x = 12_345;
  for (let i = 0; i < 150; i++) {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    out.add(FROM + Math.floor((x / 2 ** 31) * (TO - FROM)));
  }
  return [...out].sort((a, b) => a - b);
}

/** The bucket of t among bucketStarts made for [start, end), named. */
function bucketOf(zone: string, unit: Interval, t: number, start: number, end: number): number {
  const starts = bucketStarts(zone, unit, start, end, 10_000);
  assert.ok(starts !== null && starts.length > 0);
  const boundary = starts.filter((s) => s <= t).at(-1);
  assert.ok(boundary !== undefined, `${zone} ${unit} ${new Date(t).toISOString()}: before the first bucket ${starts[0]}`);
  return bucketLabel(zone, unit, boundary);
}

describe('calendar buckets against PostgreSQL date_trunc', { skip: POSTGRES_AVAILABLE ? false : 'PostgreSQL not reachable' }, () => {
  for (const zone of ZONES) {
    test(`${zone}: every unit, at and around each change of 2024-2025 and at random instants`, async () => {
      const ts = instants(zone);
      const expected = await withClient(TEST_PG_URL, async (c) => {
        const byUnit = new Map<Interval, number[]>();
        for (const unit of INTERVALS) {
          const { rows } = await c.query(
            'SELECT (extract(epoch FROM date_trunc($1, to_timestamp(t / 1000.0), $2)) * 1000)::float8 AS b FROM unnest($3::float8[]) WITH ORDINALITY AS u(t, i) ORDER BY i',
            [unit, zone, ts],
          );
          byUnit.set(
            unit,
            rows.map((r) => Number(r.b)),
          );
        }
        return byUnit;
      });
      const wrong: string[] = [];
      for (const unit of INTERVALS) {
        const want = expected.get(unit)!;
        ts.forEach((t, i) => {
          // Buckets made for a range that starts well before t, and for one that starts at t itself.
          for (const start of [t - 3 * WIDTH[unit], t]) {
            const got = bucketOf(zone, unit, t, start, t + 1);
            if (got !== want[i] && wrong.length < 10)
              wrong.push(
                `${unit} ${new Date(t).toISOString()} (range from ${new Date(start).toISOString()}): ${new Date(got).toISOString()}, date_trunc ${new Date(want[i]).toISOString()}`,
              );
          }
        });
      }
      assert.deepEqual(wrong, []);
    });
  }
});
