/**
 * A number's text, as a text lookup (contains, startswith, ...) matches it: Django puts Python's str() of the filter
 * value into the pattern. The store's own text forms of stored numbers are the dialects' (PostgreSQL's ::text; the
 * SQLite store emulates it, store/sqlite/pg-text.ts).
 */

/** Shortest round-trip digits, in exponent form (e-05, e+15) outside [1e-4, 10^maxExp). */
export function shortestText(x: number, maxExp: number): string {
  const [mantissa, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  if (exp >= -4 && exp < maxExp) return String(x);
  return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** Python's str() of a filter value, which is what Django puts into the LIKE pattern. */
export function pythonText(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return String(x);
  return shortestText(x, 16);
}
