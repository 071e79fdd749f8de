import type { RecordData } from '../records/record.ts';

/**
 * Roughly the memory a record holds while it waits in the write queue: two bytes per string character plus a
 * little per value. An estimate for a memory cap, not an exact count; it walks parsed JSON once.
 */
export function recordSize(record: RecordData): number {
  let total = 0;
  for (const value of Object.values(record)) total += valueSize(value, 0);
  return total;
}

function valueSize(value: unknown, depth: number): number {
  if (typeof value === 'string') return 16 + value.length * 2;
  if (value === null || typeof value !== 'object') return 16;
  if (depth > 100) return 16; // validation refuses deeper input; never recurse without bound
  let total = 32;
  if (Array.isArray(value)) {
    for (const v of value) total += 8 + valueSize(v, depth + 1);
  } else {
    for (const [k, v] of Object.entries(value)) total += 16 + k.length * 2 + valueSize(v, depth + 1);
  }
  return total;
}
