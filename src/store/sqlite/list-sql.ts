import { INDEXED_COLUMNS } from '../../fields/registry.ts';
import { RECORD_COLUMNS, TIMESTAMP_COLUMN } from '../columns.ts';
import { loneMetaFilter } from '../sql/lone-meta.ts';
export { walkBound } from '../sql/walk.ts';
import { whereSql } from '../sql/where.ts';
import type { ListQuery } from '../types.ts';
import { metaTag, metaValue, sqliteDialect, sqliteProbeDialect } from './dialect.ts';

const COLUMNS = RECORD_COLUMNS.map((c) => c.name).join(', ');

/** SQL with its positional parameters; every statement also takes the named parameter @org. */
export interface Statement {
  sql: string;
  params: unknown[];
}

/** The SQL of one list request. */
export interface ListSql {
  /** The count; null when org_record_counts answers it (ORG_COUNT_SQL). */
  count: Statement | null;
  /**
   * The same count among records whose seq is above the named parameter @after (a range of the table itself), to
   * bring a remembered count up to date (count-memo.ts); null where the count is not a scan of the records.
   */
  countAfter: Statement | null;
  /** The page; limit and offset follow its parameters. */
  page: Statement;
  /**
   * The same page, sorted after narrowing by an index instead of read in sort order (see narrowable). Limit and
   * offset follow its parameters. Cheap when the count is small; null when no filter can use an index.
   */
  sorted: Statement | null;
  /**
   * The same page found by walking the org's records in id order and stopping after a bound (see walkBound):
   * only for lists sorted by id that have filters. Limit and offset follow its parameters; the bound minus one is
   * the named parameter @skip. Exact whenever it returns a full page, since any match past the bound sorts after
   * every match before it.
   */
  walk: Statement | null;
  /** Named parameters (@org, used by the metadata index subqueries). */
  named: { org: string };
}

export function listSql(orgId: string, q: ListQuery): ListSql {
  const params: unknown[] = [];
  const where = whereSql(sqliteDialect, params, orgId, q.since, q.conditions, TIMESTAMP_COLUMN);
  const unfiltered = q.conditions.length === 0 && q.since === null;
  const direction = q.sort.descending ? 'DESC' : 'ASC';
  const order = `${sqliteDialect.orderBy(q.sort.column, 'text', q.sort.descending)}, id ${direction}`;
  // The page is found selecting only seq (and the sort keys), then only its rows are read: a deep page walks
  // past `offset` rows on a covering index instead of reading every skipped record, and a sort keeps two
  // columns per candidate instead of whole records.
  const pageOrderedBy = (orderBy: string) =>
    `SELECT ${COLUMNS} FROM records WHERE seq IN (SELECT seq FROM records WHERE ${where} ORDER BY ${orderBy} LIMIT ? OFFSET ?) ORDER BY ${order}`;
  const pageSql = pageOrderedBy(order);
  // The same page with unary + on the sort terms, which forbids serving ORDER BY from an index: the planner then
  // narrows by the filter's index and sorts what it finds, instead of walking the sort order past non-matches.
  const plus = `${sqliteDialect.orderBy(`+${q.sort.column}`, 'text', q.sort.descending)}, +id ${direction}`;
  const sorted = narrowable(q) ? { sql: pageOrderedBy(plus), params } : null;
  let walk: Statement | null = null;
  if (!unfiltered && q.sort.column === 'id') {
    const walkParams: unknown[] = [];
    const hit = whereSql(sqliteProbeDialect, walkParams, orgId, q.since, q.conditions, TIMESTAMP_COLUMN);
    // The walk's edge: the id @skip records into the org in walk order (an index-only step on records_org_id), or
    // the org's last id in that order when it has fewer. The walk reads records in id order up to the edge, testing
    // each, and stops once the page is full.
    const [cmp, last] = q.sort.descending ? ['>=', 'min'] : ['<=', 'max'];
    const edge = `coalesce((SELECT id FROM records INDEXED BY records_org_id WHERE org_id = @org ORDER BY id ${direction} LIMIT 1 OFFSET @skip), (SELECT ${last}(id) FROM records WHERE org_id = @org))`;
    const bounded = `id ${cmp} ${edge}`;
    const matches = `SELECT seq FROM records INDEXED BY records_org_id WHERE org_id = @org AND ${bounded} AND ${hit} ORDER BY id ${direction} LIMIT ? OFFSET ?`;
    walk = { sql: `SELECT ${COLUMNS} FROM records WHERE seq IN (${matches}) ORDER BY id ${direction}`, params: walkParams };
  }
  const metaCount = unfiltered ? null : metaIndexCount(q);
  const scanned = !unfiltered && metaCount === null;
  return {
    count: unfiltered ? null : (metaCount ?? { sql: `SELECT count(*) AS count FROM records WHERE ${where}`, params }),
    countAfter: scanned ? { sql: `SELECT count(*) AS count FROM records NOT INDEXED WHERE seq > @after AND ${where}`, params } : null,
    page: { sql: pageSql, params },
    sorted,
    walk,
    named: { org: orgId },
  };
}

/**
 * The count of a list whose only filter is top-level metadata equality or "in", from meta_value_counts: per value
 * asked for, its counter row, or, for a value without one (held by at most one record; meta-counts.ts), its
 * record_meta entry. It equals the count of records: the filter is answered from record_meta (dialect.ts); every
 * record_meta row belongs to a record of the same org, and a record has at most one row per key (metadata keys
 * are unique), so rows and records match one to one; a counter row holds, per value, the number of those rows,
 * added by the same transaction that inserts them (insert.ts). SQLite itself makes the values distinct (DISTINCT
 * compares as `v IN (...)` does: 1 and 1.0 are one value), so a value listed twice is counted once, as
 * record_meta's rows are matched once. Null for every other list.
 */
function metaIndexCount(q: ListQuery): Statement | null {
  const lone = loneMetaFilter(q);
  if (lone === null) return null;
  const params: unknown[] = [lone.key, lone.key];
  const values = lone.values.map((v) => {
    params.push(metaTag(v), metaValue(v));
    return '(?, ?)';
  });
  const one = `coalesce((SELECT n FROM meta_value_counts WHERE org_id = @org AND k = ? AND t = x.t AND v = x.v),
    (SELECT count(*) FROM record_meta WHERE org_id = @org AND k = ? AND t = x.t AND v = x.v))`;
  return {
    sql: `SELECT coalesce(sum(${one}), 0) AS count FROM (SELECT DISTINCT column1 AS t, column2 AS v FROM (VALUES ${values.join(', ')})) AS x`,
    params,
  };
}

/**
 * Whether some filter can be served by an index: a start time, or equality, in or a range on an indexed column
 * (the registry's `indexed`) or a top-level metadata key (record_meta).
 */
function narrowable(q: ListQuery): boolean {
  if (q.since !== null) return true;
  return q.conditions.some((c) => {
    if (c.op !== 'eq' && c.op !== 'in' && c.op !== 'lt' && c.op !== 'lte' && c.op !== 'gt' && c.op !== 'gte') return false;
    return c.target.kind === 'column' ? INDEXED_COLUMNS.has(c.target.column) : c.target.path.length === 1;
  });
}

/** Up to this many matches, a narrowable list sorts its matches (ListSql.sorted) rather than walking the sort order. */
export const SORT_MAX = 5_000;

/** The unfiltered count, kept per org by the insert transaction. */
export const ORG_COUNT_SQL = 'SELECT n AS count FROM org_record_counts WHERE org_id = ?';
