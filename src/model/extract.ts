import type { RecordType } from '../fields/registry.ts';

/**
 * field_22 (an array from field_1) and field_23 (an object from field_2) for type_a..type_d, by the rules in
 * docs/derived-fields.md. Other types get null for both: their field_1/field_2 are free-form and kept as sent.
 */

const EXTRACTING: ReadonlySet<RecordType> = new Set(['type_a', 'type_b', 'type_c', 'type_d']);

/** A string that holds a JSON object or array becomes that structure; anything else stays as it is. */
function structured(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const t = value.trimStart();
  if (t[0] !== '[' && t[0] !== '{') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function extractField22(type: RecordType, input: unknown): unknown[] | null {
  if (!EXTRACTING.has(type) || input === null || input === undefined) return null;
  const v = structured(input);
  if (Array.isArray(v)) return v;
  if (isObject(v)) return Array.isArray(v.messages) ? v.messages : [v];
  return type === 'type_a' ? [{ role: 'user', content: v }] : [v];
}

export function extractField23(type: RecordType, output: unknown): Record<string, unknown> | null {
  if (!EXTRACTING.has(type) || output === null || output === undefined) return null;
  const v = structured(output);
  if (isObject(v)) return v;
  if (Array.isArray(v)) {
    const allMessages = v.length > 0 && v.every((m) => isObject(m) && 'role' in m);
    return allMessages ? (v[v.length - 1] as Record<string, unknown>) : { items: v };
  }
  return type === 'type_a' ? { role: 'assistant', content: v } : { content: v };
}

/** field_1/field_2 are stored and returned as strings: text as sent, structure JSON-serialised. */
export function asBodyString(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}
