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
