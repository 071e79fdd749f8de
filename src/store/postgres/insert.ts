import { FIELD_BY_NAME, METADATA_FIELD } from '../../fields/registry.ts';
import { RECORD_COLUMNS, type Column } from '../columns.ts';
import type { EncodedRecord } from '../encoded-record.ts';

const METADATA_COLUMN = (FIELD_BY_NAME.get(METADATA_FIELD)!.storage as { column: string }).column;

/** The PostgreSQL type a column's values are bound as (matching migrations.ts). */
function pgType(c: Column): string {
  if (c.kind === 'json') return c.name === METADATA_COLUMN ? 'jsonb' : 'text';
  if (c.kind === 'bool') return 'boolean';
  if (c.scalar === 'float') return 'double precision';
  if (c.scalar === 'int' || c.scalar === 'timestamp') return 'bigint';
  return 'text';
}

/**
 * One statement per batch, whatever its size: each column travels as one array and unnest() zips them into
 * rows, so the batch is one transaction with a fixed number of parameters (no 65535-parameter ceiling).
 * ON CONFLICT DO NOTHING makes a retry idempotent: when a COMMIT reached the server but its reply was lost,
 * the write queue retries the batch and must not fail forever on rows that are already there.
 */
export const INSERT_RECORDS = {
  name: 'tally_insert_records',
  text:
    `INSERT INTO records (${RECORD_COLUMNS.map((c) => c.name).join(', ')}) ` +
    `SELECT * FROM unnest(${RECORD_COLUMNS.map((c, i) => `$${i + 1}::${pgType(c)}[]`).join(', ')}) ` +
    'ON CONFLICT DO NOTHING',
};

/** The batch as one array per column, in RECORD_COLUMNS order. */
export function insertValues(records: EncodedRecord[]): unknown[][] {
  return RECORD_COLUMNS.map((_, i) => records.map((r) => r.values[i]));
}
