import type { RecordData } from '../model/record.ts';
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
  /** The Idempotency-Key the request came with, stored in the same transaction as the record (or its batch). */
  idempotency?: IdempotencyRow;
}

/**
 * An Idempotency-Key and the outcome of the request that first used it, kept for IDEMPOTENCY_TTL_MS. Inserting one
 * whose key an unexpired row holds fails the whole insert (the store's own error), unless that row holds this very
 * outcome (a retry of a commit whose reply was lost), which is then a success that stores nothing twice.
 */
export interface IdempotencyRow {
  org_id: string;
  key: string;
  /** SHA-256 of the route and the raw body, hex. */
  fingerprint: string;
  status: number;
  /** The outcome's JSON: {"id"} for a create, {"count","ids"} for a batch. */
  response: string;
  created_at: number;
}

/** The code of a store's refusal of an Idempotency-Key that an unexpired row holds for another outcome. */
export const IDEMPOTENCY_CONFLICT = 'TALLY_IDEMPOTENCY_CONFLICT';

/** How long an Idempotency-Key is remembered (ms). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

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
