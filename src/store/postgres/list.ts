import type { ExportFormat } from '../../model/export-text.ts';
import { rowToRecord } from '../row-to-record.ts';
import { runPlanAsync } from '../sql/plan.ts';
import type { ListQuery, ListResult } from '../types.ts';
import { exportSink } from './export-sink.ts';
import { listSql, type ListSql, type Statement } from './list-sql.ts';
import type { EachRow, ReadRows } from './read.ts';

/**
 * One list on one read connection (read.ts): the count, then the page by the first plan step that answers. The
 * walk declines when it returns a short page, which may have stopped at its bound too early. An export's page
 * (ListQuery.text) is read as its text (exportOn).
 */
export async function listOn(rows: ReadRows, each: EachRow, orgId: string, q: ListQuery): Promise<ListResult> {
  const sql = listSql(orgId, q);
  const run = (s: Statement) => rows(s.text, s.values, s.name);
  const counted = sql.count ? Number((await run(sql.count))[0].count) : null;
  if (q.text) return { count: counted, ...(await exportOn(each, sql, q.limit, q.text)) };
  const { rows: found, step } = await runPlanAsync([
    {
      name: 'walk',
      rows: async () => {
        if (!sql.walk) return null;
        const walked = await run(sql.walk);
        return walked.length === sql.want ? walked : null;
      },
    },
    { name: 'page', rows: () => run(sql.page) },
  ]);
  return { count: counted, records: found.slice(0, q.limit).map(rowToRecord), more: found.length > q.limit, step };
}

/**
 * An export's page by the same plan, its rows made into lines as they arrive (export-sink.ts): no page of rows or
 * records is ever held, so a page's objects die young instead of being promoted to V8's old generation while the
 * page is read (docs/lifecycle.md has the measurement).
 */
async function exportOn(each: EachRow, sql: ListSql, limit: number, format: ExportFormat): Promise<Omit<ListResult, 'count'>> {
  if (sql.walk) {
    const sink = exportSink(format, limit);
    const n = await each(sql.walk.text, sql.walk.values, sink.row);
    if (n === sql.want) return { ...sink.done(), step: 'walk' };
  }
  const sink = exportSink(format, limit);
  await each(sql.page.text, sql.page.values, sink.row);
  return { ...sink.done(), step: 'page' };
}
