import type { ErrorDetail } from '../errors.ts';

/** How deep a JSON value may nest; a metadata filter path longer than this can match nothing. */
export const MAX_DEPTH = 64;
// A lone surrogate cannot be stored as UTF-8, and NUL cannot be stored by PostgreSQL: both are refused
// rather than silently changed, so that what is read back is what was sent.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Checks what JSON Schema cannot: nesting depth, numbers beyond float range, lone surrogates and NUL characters
 * in any string or key. Adds one detail (the first problem found) and returns false, or returns true.
 */
export function guardJsonValue(value: unknown, path: string, details: ErrorDetail[], depth = 0): boolean {
  if (depth > MAX_DEPTH) {
    details.push({ field: path, message: `nests deeper than ${MAX_DEPTH} levels` });
    return false;
  }
  if (typeof value === 'string') return guardString(value, path, details);
  if (typeof value === 'number' && !Number.isFinite(value)) {
    // JSON.parse reads 1e400 as Infinity, which JSON cannot hold: it would be stored as null, or differently per store.
    details.push({ field: path, message: 'holds a number too large to store (beyond ±1.8e308)' });
    return false;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!guardJsonValue(value[i], path, details, depth + 1)) return false;
    return true;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (!guardString(k, path, details) || !guardJsonValue(v, path, details, depth + 1)) return false;
    }
  }
  return true;
}

function guardString(s: string, path: string, details: ErrorDetail[]): boolean {
  if (s.includes('\u0000')) {
    details.push({ field: path, message: 'contains a NUL (\\u0000) character, which cannot be stored' });
    return false;
  }
  if (LONE_SURROGATE.test(s)) {
    details.push({ field: path, message: 'contains a lone UTF-16 surrogate (invalid Unicode)' });
    return false;
  }
  return true;
}

/** True when a string can be stored and looked up faithfully: no NUL, no lone surrogate. */
export function isStorableText(s: string): boolean {
  return !s.includes('\u0000') && !LONE_SURROGATE.test(s);
}
