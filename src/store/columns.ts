import { FIELD_BY_NAME, FIELDS, type Storage } from '../fields/registry.ts';

/** A stored column as the registry declares it (id and unique_id share one). */
export interface Column {
  name: string;
  kind: Extract<Storage, { column: string }>['kind'];
  scalar?: 'text' | 'float' | 'int' | 'timestamp';
}

/** The records table's columns besides org scoping, derived from the registry in field order. */
export const RECORD_COLUMNS: readonly Column[] = (() => {
  const seen = new Map<string, Column>();
  for (const f of FIELDS) {
    if (!('column' in f.storage) || seen.has(f.storage.column)) continue;
    seen.set(f.storage.column, { name: f.storage.column, kind: f.storage.kind, scalar: f.scalar });
  }
  return [...seen.values()];
})();

/** The column of a field the registry stores as a scalar column (summary and analytics SQL); throws for any other. */
export function scalarColumn(field: string): string {
  const storage = FIELD_BY_NAME.get(field)?.storage;
  if (storage?.kind !== 'scalar') throw new Error(`${field} is not a scalar column`);
  return storage.column;
}

/** The column that holds the record's timestamp. */
export const TIMESTAMP_COLUMN = RECORD_COLUMNS.find((c) => c.scalar === 'timestamp')!.name;

/** A record value as a driver should bind it. */
export function encodeColumn(column: Column, value: unknown): unknown {
  if (column.kind === 'json') return value === null || value === undefined ? null : JSON.stringify(value);
  if (column.kind === 'bool') return value ? 1 : 0;
  return value ?? null;
}

/** A driver's value back to the record's value. */
export function decodeColumn(column: Column, value: unknown): unknown {
  if (column.kind === 'json') return value === null || value === undefined ? null : JSON.parse(value as string);
  if (column.kind === 'bool') return value === true || value === 1;
  if (column.scalar === 'timestamp' || column.scalar === 'int') return value === null ? null : Number(value);
  return value;
}
