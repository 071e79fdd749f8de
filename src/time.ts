/**
 * Timestamps travel as ISO 8601 strings and are kept as integer microseconds since the epoch, so that they
 * sort and compare as instants on every store. Output follows Python's isoformat (as DRF prints it):
 * no fraction when it is zero, six digits otherwise, always "Z".
 */

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * The last text parseTimestamp read and its result: a record's timestamp is read by its validation, then by derive.
 * formatTimestamp sets it too: an OTLP span's timestamp is formatted from its start, then read by both.
 */
let lastText = '';
let lastUs: number | null = null;

/** Parses an ISO 8601 date or date-time (years 1700-2200); a missing offset means UTC. Null when invalid. */
export function parseTimestamp(text: string): number | null {
  if (text === lastText) return lastUs;
  const us = parseIso(text);
  lastText = text;
  lastUs = us;
  return us;
}

function parseIso(text: string): number | null {
  const m = ISO.exec(text);
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', tz] = m;
  const year = Number(y),
    month = Number(mo),
    day = Number(d),
    hour = Number(h),
    minute = Number(mi),
    second = Number(s);
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const check = new Date(Date.UTC(2000, 0, 1, hour, minute, second));
  check.setUTCFullYear(year, month - 1, day); // Date.UTC maps years 0-99 to 1900-1999
  const ms = check.getTime();
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) return null;
  let offsetMinutes = 0;
  if (tz && tz !== 'Z' && tz !== 'z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (oh > 23 || om > 59) return null;
    offsetMinutes = sign * (oh * 60 + om);
  }
  const micros = Number(`${frac}000000`.slice(0, 6));
  const result = (ms - offsetMinutes * 60_000) * 1000 + micros;
  if (result < MIN_US || result > MAX_US) return null;
  return result;
}

// Microseconds stay exact in a double only within about ±285 years of 1970; accept 1700-2200.
const MIN_US = Date.UTC(1700, 0, 1) * 1000;
const MAX_US = Date.UTC(2200, 11, 31, 23, 59, 59) * 1000 + 999_999;

/** Whether an instant in microseconds is within the years a timestamp may have (1700-2200), as parseTimestamp checks. */
export function isTimestampInRange(us: number): boolean {
  return us >= MIN_US && us <= MAX_US;
}

/** The UTC date, time of day and microseconds of an instant given in microseconds (before 1970 too). */
export function timestampParts(us: number) {
  const ms = Math.floor(us / 1000);
  const micros = us - ms * 1000 + (((ms % 1000) + 1000) % 1000) * 1000;
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ (years 0001-9999)
  return { date: iso.slice(0, 10), time: iso.slice(11, 19), micros };
}

/** 2025-01-01T10:30:00Z, or 2025-01-01T10:30:00.123456Z when there is a fraction. */
export function formatTimestamp(us: number): string {
  const { date, time, micros } = timestampParts(us);
  const text = micros === 0 ? `${date}T${time}Z` : `${date}T${time}.${String(micros).padStart(6, '0')}Z`;
  if (Number.isSafeInteger(us) && isTimestampInRange(us)) {
    lastText = text; // what parseTimestamp would read it as (test/time.test.ts)
    lastUs = us;
  }
  return text;
}

export function nowMicros(): number {
  return Date.now() * 1000;
}
