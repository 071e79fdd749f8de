import { exportLine, type ExportFormat } from '../../model/export-text.ts';
import { valuesToRecord } from '../row-to-record.ts';
import type { ListResult } from '../types.ts';

export interface ExportSink {
  /** One row (RECORD_COLUMNS' values in order): its line, if the page has room for it, else it tells of more. */
  row(values: unknown[]): void;
  /** The page's text (none when it is empty), how many records and the last one's id, and whether more follow. */
  done(): Pick<ListResult, 'records' | 'page' | 'exported' | 'more'>;
}

/**
 * A page's text at most, about: the row that reaches it is the page's last (a page has at least one row), the rest
 * are only counted. A page of 50 records of a few MB each would otherwise be held whole, which the export thread's
 * small heap (export-thread.ts) cannot take.
 */
export const PAGE_TEXT_BYTES = 1024 * 1024;

/**
 * An export page's text made a line at a time as each row arrives, so that no row is kept past its line, then
 * written into one buffer of its own of the page's exact size: no Buffer per line, no copy to join them, no spare
 * room (a buffer's memory is held until V8 collects its wrapper, which the socket may have kept past the young
 * generation). Not recycled: the socket may still hold it when the next page is read. Rows past `limit`, or past
 * PAGE_TEXT_BYTES of text, are only counted (they tell that more follow; the next page starts after the last kept).
 */
export function exportSink(format: ExportFormat, limit: number): ExportSink {
  const lines: string[] = [];
  let size = 0;
  let more = false;
  let lastId = '';
  return {
    row(values) {
      if (lines.length === limit || size >= PAGE_TEXT_BYTES) {
        more = true;
        return;
      }
      const record = valuesToRecord(values);
      const line = exportLine(format, record);
      lines.push(line);
      size += Buffer.byteLength(line);
      lastId = record.id as string;
    },
    done() {
      if (lines.length === 0) return { records: [], more };
      const bytes = Buffer.allocUnsafeSlow(size);
      let end = 0;
      for (const line of lines) end += bytes.write(line, end, 'utf8');
      return { records: [], more, page: { bytes, start: 0, end, release: () => {} }, exported: { records: lines.length, lastId } };
    },
  };
}
