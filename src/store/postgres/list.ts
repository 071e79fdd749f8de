import { rowToRecord } from '../row-to-record.ts';
import { runPlanAsync } from '../sql/plan.ts';
import type { ListQuery, ListResult } from '../types.ts';
import { listSql } from './list-sql.ts';
import type { ReadRows } from './read.ts';

/**
 * One list on one read connection (read.ts): the count, then the page by the first plan step that answers. The
 * walk declines when it returns a short page, which may have stopped at its bound too early.
 */
export async function listOn(rows: ReadRows, orgId: string, q: ListQuery): Promise<ListResult> {
  const sql = listSql(orgId, q);
  const run = (s: { text: string; values: unknown[]; name?: string }) => rows(s.text, s.values, s.name);
  const counted = sql.count ? Number((await run(sql.count))[0].count) : null;
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
