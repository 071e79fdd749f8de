import { FIELDS } from '../fields/registry.ts';
import { COLUMN_INDEX, type EncodedRecord } from '../store/encoded-record.ts';
import type { RecordData } from './record.ts';
import { formatTimestamp } from './time.ts';

/**
 * A record's wire JSON straight from its encoded form, without building the object toApiRecord builds:
 * JSON columns already hold their JSON text; the fields that are not stored (field_22, field_23) come from
 * the record itself. The output is byte-for-byte
 * JSON.stringify(toApiRecord(record)) (a test holds the two together); it is the create reply's body.
 */
type Emit = (record: EncodedRecord, data: RecordData) => string;

const scalar = (i: number): Emit => ({ values: v }) => JSON.stringify(v[i] ?? null);
const text = (i: number): Emit => ({ values: v }) => (v[i] === null || v[i] === undefined ? 'null' : (v[i] as string));

const EMITTERS: readonly Emit[] = FIELDS.filter((f) => f.output && (f.name === 'field_5' || f.storage.kind !== 'none')).map((field) => {
  const key = JSON.stringify(field.name) + ':';
  let emit: Emit;
  if (field.name === 'field_5') {
    const [a, b, c] = ['sub_field_a', 'sub_field_b', 'sub_field_total'].map((n) => scalar(COLUMN_INDEX.get(n)!));
    emit = (r, d) => `{"sub_field_a":${a(r, d)},"sub_field_b":${b(r, d)},"sub_field_c":${c(r, d)}}`;
  } else if (field.storage.kind === 'derived') {
    const name = field.name as keyof RecordData;
    emit = (_, data) => JSON.stringify(data[name] ?? null);
  } else {
    const s = field.storage as { kind: string; column: string };
    const i = COLUMN_INDEX.get(s.column)!;
    if (field.scalar === 'timestamp') emit = ({ values: v }) => JSON.stringify(formatTimestamp(v[i] as number));
    else if (s.kind === 'json') emit = text(i);
    else if (s.kind === 'bool') emit = ({ values: v }) => (v[i] ? 'true' : 'false');
    else emit = scalar(i);
  }
  return (r, data) => key + emit(r, data);
});

export function recordJson(record: EncodedRecord, data: RecordData): string {
  let out = '{';
  for (let i = 0; i < EMITTERS.length; i++) out += (i === 0 ? '' : ',') + EMITTERS[i](record, data);
  return out + '}';
}
