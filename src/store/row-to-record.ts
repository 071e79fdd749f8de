import { extractField22, extractField23 } from '../model/extract.ts';
import type { RecordData } from '../model/record.ts';
import { RECORD_COLUMNS, decodeColumn } from './columns.ts';

/**
 * The one place a stored row becomes a record, for every store (each driver hands JSON columns over as text).
 * field_22 and field_23 are not stored: they are rebuilt here from field_3 and field_1/field_2 by the same
 * functions that built them at ingest, so a read returns exactly what the create returned.
 */
export function rowToRecord(row: Record<string, unknown>): RecordData {
  const out: Record<string, unknown> = {};
  for (const c of RECORD_COLUMNS) out[c.name] = decodeColumn(c, row[c.name]);
  return withDerived(out);
}

/** The same from a row read as an array of RECORD_COLUMNS' values in their order (pg's rowMode 'array'). */
export function valuesToRecord(values: unknown[]): RecordData {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < RECORD_COLUMNS.length; i++) out[RECORD_COLUMNS[i].name] = decodeColumn(RECORD_COLUMNS[i], values[i]);
  return withDerived(out);
}

function withDerived(out: Record<string, unknown>): RecordData {
  const record = out as unknown as RecordData;
  record.field_22 = extractField22(record.field_3, record.field_1);
  record.field_23 = extractField23(record.field_3, record.field_2);
  return record;
}
