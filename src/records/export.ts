import { AppError } from '../errors.ts';
import { resolveTarget, type Condition } from '../query/filters.ts';
import { EXPORT_FORMATS, exportLine, type ExportFormat } from '../model/export-text.ts';
import type { Store } from '../store/types.ts';

export { csvHeader, EXPORT_FORMATS, type ExportFormat } from '../model/export-text.ts';

/**
 * Records per page read: each page is one list read of the store (fair, within the read budget). The export holds
 * one or two pages at a time, so its memory does not grow with the number of records; a small page also keeps each
 * page's garbage young, so it is collected before it reaches the old generation (docs/lifecycle.md has the
 * measurement).
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

/**
 * The org's matching records oldest first (id order) as export text, page by page: each page a keyset read (`id`
 * above the last one sent), so that a deep page costs what the first does. The store makes the page's text where it
 * reads it (SQLite's reader threads; PostgreSQL from the rows as arrays, postgres/list.ts); from a store that answers
 * records instead it is made here, a line at a time. The caller pulls the next page only when it has sent the last (back-pressure), and stops pulling when the
 * client is gone; `progress` is kept up to date for its log, and `onPage` is told of every page read.
 */
export async function* exportPages(
  store: Store,
  orgId: string,
  q: ExportQuery,
  progress: ExportProgress,
  onPage: (records: number) => void = () => {},
): AsyncGenerator<Buffer> {
  const bounds: Condition[] = q.end === null ? [] : [{ op: 'lt', target: TIMESTAMP, value: q.end }];
  let after: string | null = null;
  for (;;) {
    const keyset: Condition[] = after === null ? [] : [{ op: 'gt', target: ID, value: after }];
    const { records, page, exported, more } = await store.list(orgId, {
      conditions: [...q.conditions, ...bounds, ...keyset],
      since: q.since,
      sort: BY_ID,
      offset: 0,
      limit: EXPORT_PAGE,
      count: false,
      text: q.format,
    });
    const last = page ? exported?.lastId : (records[records.length - 1]?.id as string | undefined);
    if (last === undefined) return;
    const text = page
      ? Buffer.from(page.bytes.buffer, page.bytes.byteOffset + page.start, page.end - page.start)
      : Buffer.concat(records.map((r) => Buffer.from(exportLine(q.format, r))));
    const n = page ? exported!.records : records.length;
    progress.pages++;
    progress.records += n;
    onPage(n);
    after = last;
    yield text;
    if (!more) return;
  }
}
