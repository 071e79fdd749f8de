import { RECORD_COLUMNS, TIMESTAMP_COLUMN } from '../columns.ts';
import { whereSql } from '../sql/where.ts';
import type { ListQuery } from '../types.ts';
import { sqliteDialect } from './dialect.ts';

const COLUMNS = RECORD_COLUMNS.map((c) => c.name).join(', ');

/** The SQL of one list request: the count (null when org_record_counts answers it) and the page. */
export interface ListSql {
  countSql: string | null;
  pageSql: string;
  /** Positional parameters of the WHERE clause; the page adds limit and offset after them. */
  params: unknown[];
  /** Named parameters (@org, used by the metadata index subqueries). */
  named: { org: string };
}

export function listSql(orgId: string, q: ListQuery): ListSql {
  const params: unknown[] = [];
  const where = whereSql(sqliteDialect, params, orgId, q.since, q.conditions, TIMESTAMP_COLUMN);
  const unfiltered = q.conditions.length === 0 && q.since === null;
  const order = `${sqliteDialect.orderBy(q.sort.column, 'text', q.sort.descending)}, id ${q.sort.descending ? 'DESC' : 'ASC'}`;
  // A deep page walks past `offset` rows; doing that walk in a subquery that selects only seq lets it run on
  // a covering index instead of reading every skipped record, and only the page's rows are fetched.
  const page = `SELECT seq FROM records WHERE ${where} ORDER BY ${order} LIMIT ? OFFSET ?`;
  const pageSql = q.offset > 0 ? `SELECT ${COLUMNS} FROM records WHERE seq IN (${page}) ORDER BY ${order}` : page.replace('SELECT seq', `SELECT ${COLUMNS}`);
  return {
    countSql: unfiltered ? null : `SELECT count(*) AS count FROM records WHERE ${where}`,
    pageSql,
    params,
    named: { org: orgId },
  };
}

/** The unfiltered count, kept per org by the insert transaction. */
export const ORG_COUNT_SQL = 'SELECT n AS count FROM org_record_counts WHERE org_id = ?';
