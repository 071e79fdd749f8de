import { FIELDS, type FieldDef } from '../fields/registry.ts';
import { COLUMN_INDEX, type EncodedRecord } from '../store/encoded-record.ts';
import type { RecordData } from '../model/record.ts';
import { formatTimestamp } from '../time.ts';

type Emit = (record: EncodedRecord, data: RecordData) => string;

const scalar =
  (i: number): Emit =>
  ({ values: v }) =>
    JSON.stringify(v[i] ?? null);
const text =
  (i: number): Emit =>
  ({ values: v }) =>
    v[i] === null || v[i] === undefined ? 'null' : (v[i] as string);

/** How one returned field's JSON is written, by the field's storage; null for a field that is not returned. */
function emitter(field: FieldDef): Emit | null {
  const s = field.storage;
  if (!field.output || s.kind === 'none') return null;
  if (s.kind === 'composed') {
    const members = Object.entries(s.members).map(([member, column]) => ({
      key: `${JSON.stringify(member)}:`,
      emit: scalar(COLUMN_INDEX.get(column)!),
    }));
    const extra = s.extra === undefined ? -1 : COLUMN_INDEX.get(s.extra)!;
    return (r, d) => {
      let out = '{';
      for (let i = 0; i < members.length; i++) out += (i === 0 ? '' : ',') + members[i].key + members[i].emit(r, d);
      const more = extra < 0 ? null : (r.values[extra] as string | null); // an object's JSON text: its members follow
      return more !== null && more.length > 2 ? `${out},${more.slice(1)}` : `${out}}`;
    };
  }
  if (s.kind === 'derived') {
    const name = field.name as keyof RecordData;
    return (_, data) => JSON.stringify(data[name] ?? null);
  }
  const i = COLUMN_INDEX.get(s.column)!;
  if (field.scalar === 'timestamp') return ({ values: v }) => JSON.stringify(formatTimestamp(v[i] as number));
  if (s.kind === 'json') return text(i);
  if (s.kind === 'bool') return ({ values: v }) => (v[i] ? 'true' : 'false');
  return scalar(i);
}

/** Every returned field's emitter, in the registry's order (the wire order), each writing its own key. */
const EMITTERS: readonly Emit[] = FIELDS.flatMap((field) => {
  const emit = emitter(field);
  const key = `${JSON.stringify(field.name)}:`;
  return emit ? [(r: EncodedRecord, data: RecordData) => key + emit(r, data)] : [];
});

/**
 * A record's wire JSON straight from its encoded form, without building the object toApiRecord builds: JSON
 * columns already hold their text. The create reply's body; byte for byte JSON.stringify(toApiRecord(record))
 * (test/record-json.test.ts).
 */
export function recordJson(record: EncodedRecord, data: RecordData): string {
  let out = '{';
  for (let i = 0; i < EMITTERS.length; i++) out += (i === 0 ? '' : ',') + EMITTERS[i](record, data);
  return `${out}}`;
}
