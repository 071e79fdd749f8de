/**
 * Text lookups (contains, startswith, ...) on numbers and timestamps match their text form, as Django does on
 * PostgreSQL (it casts the column to text). These functions give PostgreSQL's text forms so that the SQLite
 * store matches the same records.
 */

/** Shortest round-trip digits, in exponent form (e-05, e+15) outside [1e-4, 10^maxExp). */
function shortestText(x: number, maxExp: number): string {
  const [mantissa, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  if (exp >= -4 && exp < maxExp) return String(x);
  return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** PostgreSQL's float8 output: exponent form below 1e-4 or from 1e15 on. */
export function pgFloatText(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : x < 0 ? '-Infinity' : 'NaN';
  return shortestText(x, 15);
}

/** Python's str() of a filter value, which is what Django puts into the LIKE pattern. */
export function pythonText(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return String(x);
  return shortestText(x, 16);
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
  if ((cp >= 0x1f80 && cp <= 0x1f87) || (cp >= 0x1f90 && cp <= 0x1f97) || (cp >= 0x1fa0 && cp <= 0x1fa7)) return String.fromCodePoint(cp + 8);
  if (cp === 0x1fb3 || cp === 0x1fc3 || cp === 0x1ff3) return String.fromCodePoint(cp + 9);
  return ch;
}
