/**
 * Nested metadata paths (`field_9__a__0__b`) are read as PostgreSQL's `#>` reads a text[] path, which is what
 * Django's key transforms send for a path of two or more keys: each step looks up an object's key, or, in an
 * array, the element at the step read as an integer (negative counts from the end). A top-level key is always
 * an object key (field_9 is an object).
 */

const INT32_MAX = 2 ** 31 - 1;

/**
 * The array position a path step names, as PostgreSQL parses it (`strtoint`: leading spaces, a sign and
 * leading zeros allowed; nothing after the digits; within int32), or null when the step is no integer.
 */
export function arrayIndex(step: string): number | null {
  if (!/^ *[+-]?\d+$/.test(step)) return null;
  const n = Number(step.trim());
  return n > INT32_MAX || n < -INT32_MAX - 1 ? null : n;
}

/** Whether the path can step into an array: some step after the first could be an array position. */
export const readsArrays = (path: readonly string[]): boolean => path.some((step, i) => i > 0 && arrayIndex(step) !== null);
