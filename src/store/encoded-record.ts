import type { RecordData } from '../records/record.ts';
import { RECORD_COLUMNS, encodeColumn } from './columns.ts';

/**
 * A record as every driver binds it, encoded once at ingest: the create reply, the write queue, the
 * SQLite writer thread and the PostgreSQL insert all use these values, so JSON columns are serialised once
 * per record and what crosses to the writer thread is flat strings and numbers.
 */
export interface EncodedRecord {
  /** Column values in RECORD_COLUMNS order: JSON columns as their JSON text, booleans as 0/1. */
  values: unknown[];
  /** The parsed field_9 object, for stores that index its top-level keys. */
  metadata: Record<string, unknown> | null;
  /** Roughly the memory this record holds while it waits to be written (two bytes per character). */
  bytes: number;
}

export const COLUMN_INDEX: ReadonlyMap<string, number> = new Map(RECORD_COLUMNS.map((c, i) => [c.name, i]));
const ORG_INDEX = COLUMN_INDEX.get('org_id')!;
const ID_INDEX = COLUMN_INDEX.get('id')!;

export function encodeRecord(record: RecordData): EncodedRecord {
  const row = record as unknown as Record<string, unknown>;
  let bytes = 64;
  const values = RECORD_COLUMNS.map((c) => {
    const v = encodeColumn(c, row[c.name]);
    bytes += typeof v === 'string' ? 16 + v.length * 2 : 16;
    return v;
  });
  const metadata = record.field_9;
  if (metadata) for (const [k, v] of Object.entries(metadata)) bytes += 32 + k.length * 2 + (typeof v === 'string' ? v.length * 2 : 0);
  return { values, metadata, bytes };
}

export const orgOf = (r: Pick<EncodedRecord, 'values'>): string => r.values[ORG_INDEX] as string;
export const idOf = (r: Pick<EncodedRecord, 'values'>): string => r.values[ID_INDEX] as string;
