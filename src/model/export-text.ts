import { stringify } from 'csv-stringify/sync';
import type { RecordData } from './record.ts';
import { toApiRecord, WIRE_FIELDS } from './to-api.ts';

/** The formats of an export (docs/lifecycle.md). */
export const EXPORT_FORMATS = ['jsonl', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** A CSV row: nested values as JSON text, null as an empty cell, booleans as true/false (csv-stringify quotes). */
const CSV_OPTIONS = {
  columns: [...WIRE_FIELDS],
  cast: {
    boolean: (v: boolean) => (v ? 'true' : 'false'),
    object: (v: object) => JSON.stringify(v),
  },
};

/** The CSV header row (the retrieve reply's fields in wire order), with its line end. */
export const csvHeader = (): string => stringify([WIRE_FIELDS as string[]]);

/**
 * One record as one line of export text, its line end included: JSONL's line is the retrieve reply byte for byte.
 * A line at a time (never a whole page as one string), so that each is a small, short-lived string: a page-sized
 * string would be allocated where only V8's full collections free it.
 */
export function exportLine(format: ExportFormat, record: RecordData): string {
  const wire = toApiRecord(record);
  return format === 'jsonl' ? `${JSON.stringify(wire)}\n` : stringify([wire], CSV_OPTIONS);
}
