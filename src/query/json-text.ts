/**
 * Text lookups on metadata keys (field_9__<key> contains, ...) match the text PostgreSQL's ->> gives for the
 * value, as Django's key transforms do. These functions give that text so that the SQLite store matches the
 * same records.
 */

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
