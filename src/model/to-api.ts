import { FIELDS, type FieldDef } from '../fields/registry.ts';
import type { ApiRecord, RecordData } from './record.ts';
import { formatTimestamp } from '../time.ts';

type Row = Readonly<Record<string, unknown>>;

/** How one returned field's wire value is read from a record, by the field's storage. */
function reader(field: FieldDef): ((row: Row) => unknown) | null {
  const s = field.storage;
  switch (s.kind) {
    case 'none':
      return null;
    case 'composed': {
      const members = Object.entries(s.members);
      const extra = s.extra;
      return (row) => {
        const value: Record<string, unknown> = {};
        for (const [member, column] of members) value[member] = row[column] ?? null;
        const more = extra === undefined ? null : row[extra];
        return more !== null && typeof more === 'object' ? Object.assign(value, more) : value;
      };
    }
    case 'derived':
      return (row) => row[field.name] ?? null;
    default: {
      const column = s.column;
      return field.scalar === 'timestamp' ? (row) => formatTimestamp(row[column] as number) : (row) => row[column] ?? null;
    }
  }
}

/** Every returned field with its reader, in the registry's order (the wire order). */
const READERS = FIELDS.flatMap((field) => {
  const read = field.output ? reader(field) : null;
  return read ? [{ name: field.name, read }] : [];
});

/** The names of a record's wire fields, in wire order: the columns of a CSV export. */
export const WIRE_FIELDS: readonly string[] = READERS.map((r) => r.name);

/** The one place a stored record becomes its wire form. */
export function toApiRecord(data: RecordData): ApiRecord {
  const row = data as unknown as Row;
  const out: ApiRecord = {};
  for (const { name, read } of READERS) out[name] = read(row);
  return out;
}
