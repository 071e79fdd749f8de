import { arrayIndex } from '../../query/meta-path.ts';
import { shortestText } from '../../query/text-forms.ts';
import { timestampParts } from '../../time.ts';

/**
 * PostgreSQL's behaviour where the SQLite store must give the same answers (registered as SQL functions,
 * functions.ts): the text forms Django's text lookups match (a column cast to ::text, a metadata value's ->>),
 * UPPER() for icontains, and #> for nested metadata paths.
 */

/** PostgreSQL's numeric output for a JSON number: positional notation, never an exponent (1e+21 → 1000...0). */
function pgNumericText(x: number): string {
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

/** jsonb's text form of a JSON value (strings quoted), as PostgreSQL's ::text of a jsonb gives it. */
export function jsonbText(value: unknown): string {
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return pgNumericText(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(jsonbText).join(', ')}]`;
  const keys = Object.keys(value as object).sort((a, b) => utf8(a).length - utf8(b).length || Buffer.compare(utf8(a), utf8(b)));
  return `{${keys.map((k) => `${JSON.stringify(k)}: ${jsonbText((value as Record<string, unknown>)[k])}`).join(', ')}}`;
}

/** PostgreSQL's float8 output: exponent form below 1e-4 or from 1e15 on. */
export function pgFloatText(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : x < 0 ? '-Infinity' : 'NaN';
  return shortestText(x, 15);
}

/** PostgreSQL's text form of a timestamptz in a UTC session, e.g. 2025-01-01 10:30:00.12+00 (for text lookups). */
export function pgTimestampText(us: number): string {
  const { date, time, micros } = timestampParts(us);
  const frac = micros === 0 ? '' : `.${String(micros).padStart(6, '0').replace(/0+$/, '')}`;
  return `${date} ${time}${frac}+00`;
}

/** The value at path inside doc, as `#>` finds it; undefined where `#>` gives SQL NULL. */
export function jsonAt(doc: unknown, path: readonly string[]): unknown {
  let node = doc;
  for (const step of path) {
    if (Array.isArray(node)) {
      const i = arrayIndex(step);
      if (i === null || i >= node.length || i < -node.length) return undefined;
      node = node[i < 0 ? node.length + i : i];
    } else if (node !== null && typeof node === 'object') {
      if (!Object.hasOwn(node, step)) return undefined;
      node = (node as Record<string, unknown>)[step];
    } else return undefined;
  }
  return node;
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
    out += up.length === ch.length ? up : simpleUpperOfExpanding(ch);
  }
  return out;
}

/**
 * The one-code-point upper case of a character whose full upper case expands. Of the 102 such characters, only
 * the Greek small letters with ypogegrammeni have one (Unicode's simple mapping, which libc's towupper and so
 * PostgreSQL follow): ᾳ → ᾼ, ᾀ → ᾈ, ... (JavaScript: ᾳ → ΑΙ). The others (ß, ﬁ, ŉ, ΐ, ...) stay as they are.
 * test/postgres-store.test.ts checks all 102 against PostgreSQL's UPPER().
 */
function simpleUpperOfExpanding(ch: string): string {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 0x1f80 && cp <= 0x1f87) || (cp >= 0x1f90 && cp <= 0x1f97) || (cp >= 0x1fa0 && cp <= 0x1fa7))
    return String.fromCodePoint(cp + 8);
  if (cp === 0x1fb3 || cp === 0x1fc3 || cp === 0x1ff3) return String.fromCodePoint(cp + 9);
  return ch;
}
