import { FIELDS } from '../fields/registry.ts';
import type { ApiRecord, RecordData } from './record.ts';
import { formatTimestamp } from './time.ts';

/** The one place a stored record becomes its wire form, in the registry's field order. */
export function toApiRecord(data: RecordData): ApiRecord {
  const row = data as unknown as Record<string, unknown>;
  const out: ApiRecord = {};
  for (const field of FIELDS) {
    if (!field.output) continue;
    const s = field.storage;
    if (field.name === 'field_5') {
      out.field_5 = { sub_field_a: data.sub_field_a, sub_field_b: data.sub_field_b, sub_field_c: data.sub_field_total };
    } else if (s.kind === 'none') {
      continue;
    } else if (s.kind === 'derived') {
      out[field.name] = row[field.name] ?? null;
    } else if (field.scalar === 'timestamp') {
      out[field.name] = formatTimestamp(row[s.column] as number);
    } else {
      out[field.name] = row[s.column] ?? null;
    }
  }
  return out;
}
