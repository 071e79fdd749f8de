/**
 * Text lookups (contains, startswith, ...) on numbers and timestamps match their text form, as Django does on
 * PostgreSQL (it casts the column to text). These functions give PostgreSQL's text forms so that the SQLite
 * store matches the same records.
 */

/** PostgreSQL's float8 output: shortest round-trip digits, exponent form below 1e-4 or from 1e15 on. */
export function pgFloatText(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : x < 0 ? '-Infinity' : 'NaN';
  const [mantissa, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 15) {
    const sign = exp < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(x);
}

/** Python's str() of a filter value, which is what Django puts into the LIKE pattern. */
export function pythonText(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return String(x);
  const [mantissa, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const sign = exp < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(x);
}

/**
 * Upper-casing one code point at a time, as PostgreSQL's UPPER() does (towupper): "ß" and "ﬁ" stay as they
 * are instead of expanding to "SS" and "FI" as JavaScript's full case mapping would. icontains compares
 * UPPER(text) with UPPER(value), as Django does.
 */
export function simpleUpper(s: string): string {
  const full = s.toUpperCase();
  if (full.length === s.length) return full; // no expansion happened: the same as the simple mapping
  let out = '';
  for (const ch of s) {
    const up = ch.toUpperCase();
    out += up.length === ch.length ? up : ch;
  }
  return out;
}

/** PostgreSQL's numeric output for a JSON number: positional notation, never an exponent (1e+21 → 1000...0). */
export function pgNumericText(x: number): string {
  const [mantissa, expText = '0'] = String(x).split('e');
  const negative = mantissa.startsWith('-');
  const [whole, fraction = ''] = (negative ? mantissa.slice(1) : mantissa).split('.');
  let digits = whole + fraction;
  let point = whole.length + Number(expText); // where the decimal point falls within digits
  if (point < 1) {
    digits = '0'.repeat(1 - point) + digits;
    point = 1;
  }
  digits = digits.padEnd(point, '0');
  const intPart = digits.slice(0, point).replace(/^0+(?=\d)/, '');
  const fracPart = digits.slice(point);
  return `${negative ? '-' : ''}${intPart}${fracPart ? `.${fracPart}` : ''}`;
}

const utf8 = (s: string) => Buffer.from(s, 'utf8');

/**
 * What PostgreSQL's `->>` gives for a metadata value (Django's KeyTextTransform, which text lookups on
 * field_9__<key> use): strings unquoted, JSON null as SQL NULL, anything else in jsonb's text form, where
 * objects list shorter keys first (then by bytes) and items are separated by ", " and ": ".
 */
export function pgJsonText(value: unknown): string | null {
  if (value === null) return null;
  return typeof value === 'string' ? value : jsonbText(value);
}

function jsonbText(value: unknown): string {
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return pgNumericText(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(jsonbText).join(', ')}]`;
  const keys = Object.keys(value as object).sort((a, b) => utf8(a).length - utf8(b).length || Buffer.compare(utf8(a), utf8(b)));
  return `{${keys.map((k) => `${JSON.stringify(k)}: ${jsonbText((value as Record<string, unknown>)[k])}`).join(', ')}}`;
}
