import { stringify } from 'csv-stringify/sync';
import { AppError } from '../errors.ts';
import { resolveTarget, type Condition } from '../query/filters.ts';
import { toApiRecord, WIRE_FIELDS } from '../model/to-api.ts';
import type { RecordData } from '../model/record.ts';
import type { Store } from '../store/types.ts';

export const EXPORT_FORMATS = ['jsonl', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * Records per page read: each page is one list read of the store (fair, within the read budget), and the event loop
 * turns it into text in about a millisecond. The export holds one page at a time, so its memory does not grow with
 * the number of records; a small page also keeps each page's garbage young, so it is collected before it reaches the
 * old generation (docs/lifecycle.md has the measurement).
 */
export const EXPORT_PAGE = 50;

export function parseFormat(raw: unknown): ExportFormat {
  if (raw === undefined || raw === '') return 'jsonl';
  if (typeof raw === 'string' && (EXPORT_FORMATS as readonly string[]).includes(raw)) return raw as ExportFormat;
  throw new AppError(
    'invalid_query_parameter',
    `Query parameter format must be ${EXPORT_FORMATS.join(' or ')}, got ${JSON.stringify(raw)}`,
    [{ field: 'format', message: `must be ${EXPORT_FORMATS.join(' or ')}` }],
  );
}

export interface ExportQuery {
  format: ExportFormat;
  since: number | null;
  /** Exclusive, microseconds. */
  end: number | null;
  conditions: Condition[];
}

export interface ExportProgress {
  records: number;
  pages: number;
}

const ID = resolveTarget('id');
const TIMESTAMP = resolveTarget('timestamp');
const BY_ID = { field: 'id', column: 'id', descending: false };

/** A CSV row: nested values as JSON text, null as an empty cell, booleans as true/false (csv-stringify quotes). */
const CSV_OPTIONS = {
  columns: [...WIRE_FIELDS],
  cast: {
    boolean: (v: boolean) => (v ? 'true' : 'false'),
    object: (v: object) => JSON.stringify(v),
  },
};

export const csvHeader = (): string => stringify([WIRE_FIELDS as string[]]);

/** One page of records as export text. */
export function exportText(format: ExportFormat, records: RecordData[]): string {
  if (records.length === 0) return '';
  const wire = records.map(toApiRecord);
  if (format === 'jsonl') return `${wire.map((r) => JSON.stringify(r)).join('\n')}\n`;
  return stringify(wire, CSV_OPTIONS);
}

/**
 * The org's matching records oldest first (id order), page by page: each page a keyset read (`id` above the last
 * one sent), so that a deep page costs what the first does. The caller pulls the next page only when it has sent
 * the last (back-pressure), and stops pulling when the client is gone; `progress` is kept up to date for its log.
 */
export async function* exportPages(store: Store, orgId: string, q: ExportQuery, progress: ExportProgress): AsyncGenerator<RecordData[]> {
  const bounds: Condition[] = q.end === null ? [] : [{ op: 'lt', target: TIMESTAMP, value: q.end }];
  let after: string | null = null;
  for (;;) {
    const keyset: Condition[] = after === null ? [] : [{ op: 'gt', target: ID, value: after }];
    const { records, more } = await store.list(orgId, {
      conditions: [...q.conditions, ...bounds, ...keyset],
      since: q.since,
      sort: BY_ID,
      offset: 0,
      limit: EXPORT_PAGE,
      count: false,
    });
    if (records.length === 0) return;
    progress.pages++;
    progress.records += records.length;
    after = records[records.length - 1].id as string;
    yield records;
    if (!more) return;
  }
}
