/**
 * Calendar buckets in an IANA time zone, as PostgreSQL's date_trunc(unit, ts, zone) makes them, computed from the
 * time zone data of Node's ICU so that every store buckets alike (docs/analytics.md). Instants are epoch
 * milliseconds here; offsets are milliseconds east of UTC.
 */

export const INTERVALS = ['minute', 'hour', 'day', 'week', 'month'] as const;
export type Interval = (typeof INTERVALS)[number];

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** True when the name is an IANA zone ICU knows (not a bare offset such as "+02:00"). */
export function isTimeZone(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(name)) return false;
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

/** Zones that are UTC at every instant: their offset is 0 without asking ICU (an hourly month asks 720 times). */
const ALWAYS_UTC = new Set(['UTC', 'ETC/UTC']);

/** The zone's offset from UTC at an instant, to the second. */
export function offsetAt(zone: string, ms: number): number {
  if (ALWAYS_UTC.has(zone.toUpperCase())) return 0;
  const whole = Math.floor(ms / 1000) * 1000;
  const p: Record<string, string> = {};
  for (const part of formatter(zone).formatToParts(whole)) p[part.type] = part.value;
  const year = p.era === 'BC' || p.era === 'B' ? 1 - Number(p.year) : Number(p.year);
  const d = new Date(Date.UTC(2000, Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)));
  d.setUTCFullYear(year);
  return d.getTime() - whole;
}

/**
 * The instant of a wall time (given as if it were UTC), as PostgreSQL's DetermineTimeZoneOffset picks it: with one
 * offset change near it, a time both offsets put on one side of the change takes that side's offset; a time in a
 * gap or in a repeated stretch takes the later of the two readings.
 */
export function instantOfWallTime(zone: string, wall: number): number {
  const before = offsetAt(zone, wall - DAY);
  const after = offsetAt(zone, wall + DAY);
  if (before === after) return wall - before;
  // The change: the first second at which the offset is no longer `before` (found by halving, to the second).
  let lo = Math.floor((wall - DAY) / 1000);
  let hi = Math.ceil((wall + DAY) / 1000);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(zone, mid * 1000) === before) lo = mid;
    else hi = mid;
  }
  const boundary = hi * 1000;
  const beforeTime = wall - before;
  const afterTime = wall - after;
  if (beforeTime < boundary && afterTime < boundary) return beforeTime;
  if (beforeTime >= boundary && afterTime >= boundary) return afterTime;
  return Math.max(beforeTime, afterTime);
}

/** The start of the bucket holding the instant: date_trunc(unit, ts, zone). */
export function truncate(zone: string, unit: Interval, ms: number): number {
  const offset = offsetAt(zone, ms);
  const wall = ms + offset;
  // Below a day PostgreSQL keeps the instant's own offset: a repeated hour makes two buckets.
  if (unit === 'minute') return Math.floor(wall / MINUTE) * MINUTE - offset;
  if (unit === 'hour') return Math.floor(wall / HOUR) * HOUR - offset;
  const date = new Date(Math.floor(wall / DAY) * DAY);
  if (unit === 'week') date.setUTCDate(date.getUTCDate() - ((date.getUTCDay() + 6) % 7)); // back to Monday
  if (unit === 'month') date.setUTCDate(1);
  return instantOfWallTime(zone, date.getTime());
}

/** The start of the bucket after the one that starts at `start`. */
function nextStart(zone: string, unit: Interval, start: number): number {
  if (unit === 'minute' || unit === 'hour') {
    const width = unit === 'minute' ? MINUTE : HOUR;
    const next = truncate(zone, unit, start + width);
    return next > start ? next : start + width;
  }
  const wall = new Date(Math.floor((start + offsetAt(zone, start)) / DAY) * DAY);
  if (unit === 'day') wall.setUTCDate(wall.getUTCDate() + 1);
  if (unit === 'week') wall.setUTCDate(wall.getUTCDate() + 7);
  if (unit === 'month') wall.setUTCMonth(wall.getUTCMonth() + 1, 1);
  const next = instantOfWallTime(zone, wall.getTime());
  return next > start ? next : truncate(zone, unit, start + DAY * 32); // never: a calendar unit always moves on
}

/**
 * The starts of the buckets that meet [start, end), oldest first; null when there would be more than `max`.
 * A record at ts belongs to the last start ≤ ts.
 */
export function bucketStarts(zone: string, unit: Interval, start: number, end: number, max: number): number[] | null {
  const starts: number[] = [];
  for (let at = truncate(zone, unit, start); at < end || starts.length === 0; at = nextStart(zone, unit, at)) {
    if (starts.length === max) return null;
    starts.push(at);
    if (end <= start) break;
  }
  return starts;
}

/** "2026-03-29T03:00:00+02:00", or "…Z" in UTC, for a bucket start (whole seconds). */
export function formatInZone(zone: string, ms: number, utc: boolean): string {
  if (utc) return `${new Date(ms).toISOString().slice(0, 19)}Z`;
  const offset = offsetAt(zone, ms);
  const local = new Date(ms + offset).toISOString().slice(0, 19);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset) / 1000;
  const hh = String(Math.floor(abs / 3600)).padStart(2, '0');
  const mm = String(Math.floor((abs % 3600) / 60)).padStart(2, '0');
  const ss = abs % 60;
  return `${local}${sign}${hh}:${mm}${ss ? `:${String(ss).padStart(2, '0')}` : ''}`;
}
