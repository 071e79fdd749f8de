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

/** The first whole second in (from, to] whose offset is not `offset` (there is one: the offset at `to` differs). */
function firstChange(zone: string, from: number, to: number, offset: number): number {
  let lo = Math.floor(from / 1000);
  let hi = Math.ceil(to / 1000);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(zone, mid * 1000) === offset) lo = mid;
    else hi = mid;
  }
  return hi * 1000;
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
  const boundary = firstChange(zone, wall - DAY, wall + DAY, before);
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

/** The next wall-clock boundary of the unit after the wall time `wall` (a time read as if it were UTC). */
function nextWallBoundary(unit: Interval, wall: number): number {
  if (unit === 'minute' || unit === 'hour') {
    const width = unit === 'minute' ? MINUTE : HOUR;
    return (Math.floor(wall / width) + 1) * width;
  }
  const date = new Date(Math.floor(wall / DAY) * DAY);
  if (unit === 'day') date.setUTCDate(date.getUTCDate() + 1);
  if (unit === 'week') date.setUTCDate(date.getUTCDate() + 7 - ((date.getUTCDay() + 6) % 7)); // the next Monday
  if (unit === 'month') date.setUTCMonth(date.getUTCMonth() + 1, 1);
  return date.getTime();
}

/**
 * Where the bucket after the one that begins at `at` begins (offsetAt(at) is `offset`), with the offset there: the
 * next local boundary of the unit, or an offset change before it that moves the instants after it into another
 * bucket. With no change in between, that is one look at the time zone data.
 */
function nextBoundary(zone: string, unit: Interval, at: number, offset: number, look: (ms: number) => number): [number, number] {
  let label: number | null = null;
  let from = at;
  let off = offset;
  for (let step = 0; step < 4; step++) {
    const next = nextWallBoundary(unit, from + off) - off;
    const offNext = look(next);
    // The same offset: `next` is the next local boundary, whose bucket is not this one.
    if (offNext === off) return [next, off];
    const change = firstChange(zone, from, next, off);
    label ??= truncate(zone, unit, at);
    const offChange = offsetAt(zone, change);
    if (truncate(zone, unit, change) !== label) return [change, offChange];
    from = change; // a change inside the bucket (a day's, a month's): its next boundary is read with the new offset
    off = offChange;
  }
  return [nextWallBoundary(unit, from + off) - off, off]; // never: a unit has at most one change in it here
}

/**
 * offsetAt for instants met in increasing order, looking at the time zone data about once a day instead of once an
 * instant (ICU's formatting costs ~5 µs, and 10,000 hourly buckets took ~48 ms of the event loop): where the offset a
 * day after an instant is the offset at it, it is taken to be that offset all day long. No zone changes its offset
 * twice within a day (a change and its undoing), and the buckets' test compares with PostgreSQL around every change
 * of two years in the zones whose changes are the oddest.
 */
function steadyOffsets(zone: string): (ms: number) => number {
  let from = 0;
  let until = -Infinity;
  let known = 0;
  return (ms) => {
    if (ms >= from && ms <= until) return known; // the offset at `until` was looked at too
    const offset = offsetAt(zone, ms);
    if (offsetAt(zone, ms + DAY) === offset) {
      from = ms;
      until = ms + DAY;
      known = offset;
    }
    return offset;
  };
}

/** How far back the first second of a bucket may lie from an instant in it (a bucket is never this long). */
const SPAN: Record<Interval, number> = { minute: 2 * MINUTE, hour: 2 * HOUR, day: 2 * DAY, week: 8 * DAY, month: 32 * DAY };

/**
 * The first instant whose bucket is the bucket of `ms` (date_trunc's). Most buckets begin at their start; the day of
 * a local midnight read twice (America/Havana's autumn change at midnight) begins at its first reading, an hour
 * before its start as PostgreSQL places it; the hour after a 30-minute change (Australia/Lord_Howe) begins at the
 * change, half an hour after its start.
 */
function firstBoundary(zone: string, unit: Interval, ms: number): number {
  const label = truncate(zone, unit, ms);
  if (label <= ms && truncate(zone, unit, label) === label && truncate(zone, unit, label - 1000) < label) return label;
  // truncate never decreases with the instant: halve (to the second, as offsets change) to the first with this label
  let lo = Math.floor((ms - SPAN[unit]) / 1000);
  let hi = Math.floor(ms / 1000);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (truncate(zone, unit, mid * 1000) === label) hi = mid;
    else lo = mid;
  }
  return hi * 1000;
}

/**
 * Where the buckets that meet [start, end) begin, oldest first; null when there would be more than `max`. A record at
 * ts belongs to the last of these at or before it, and that bucket is named by bucketLabel (date_trunc's value for
 * each of its records): the two differ only where date_trunc's start of a bucket is not its first instant.
 */
export function bucketStarts(zone: string, unit: Interval, start: number, end: number, max: number): number[] | null {
  const starts: number[] = [];
  let at = firstBoundary(zone, unit, start);
  let offset = offsetAt(zone, at);
  const look = steadyOffsets(zone);
  for (;;) {
    if (starts.length === max) return null;
    starts.push(at);
    if (end <= start) break;
    [at, offset] = nextBoundary(zone, unit, at, offset, look);
    if (at >= end) break;
  }
  return starts;
}

/** The start of the bucket that begins at `boundary` (a bucketStarts value), as date_trunc gives it for its records. */
export function bucketLabel(zone: string, unit: Interval, boundary: number): number {
  return truncate(zone, unit, boundary);
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
