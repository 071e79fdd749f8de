import type { RecordData } from '../records/record.ts';
import { RECORD_COLUMNS, decodeColumn } from './columns.ts';

/** The one place a stored row becomes a record, for every store (each driver hands JSON columns over as text). */
export function rowToRecord(row: Record<string, unknown>): RecordData {
  const out: Record<string, unknown> = {};
  for (const c of RECORD_COLUMNS) out[c.name] = decodeColumn(c, row[c.name]);
  return out as unknown as RecordData;
}
