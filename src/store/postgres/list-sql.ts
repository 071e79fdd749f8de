import { INDEXED_COLUMNS } from '../../fields/registry.ts';
import { RECORD_COLUMNS, TIMESTAMP_COLUMN } from '../columns.ts';
import { loneMetaFilter } from '../sql/lone-meta.ts';
import { walkBound } from '../sql/walk.ts';
import { whereSql } from '../sql/where.ts';
import type { ListQuery } from '../types.ts';
import { postgresDialect } from './dialect.ts';

const COLUMNS = RECORD_COLUMNS.map((c) => c.name).join(', ');
const SCALAR_OF = new Map(RECORD_COLUMNS.map((c) => [c.name, c.scalar ?? 'text']));

/** A statement with its values; `name` prepares it once per connection (the fixed, frequent ones). */
export interface Statement {
  text: string;
  values: unknown[];
  name?: string;
}

/** The SQL of one list request on PostgreSQL. */
export interface ListSql {
  /** Rows asked for: one more than the page, which tells whether another page follows. */
  want: number;
  /** The count; null when the list asked for none. */
  count: Statement | null;
  /** The page as the planner finds it: the page's ids first, then only those rows. */
  page: Statement;
  /**
   * The same page found by walking the org newest (or oldest) first up to a bound, testing each record (sql/walk.ts):
   * only for shallow id-sorted filtered lists that no identifier index narrows. Exact when it returns a full page.
   */
  walk: Statement | null;
}

/** The unfiltered count: the sum of the org's slots in org_record_counts (migration 4), kept by a trigger. */
const ORG_COUNT_SQL = 'SELECT coalesce(sum(n), 0) AS count FROM org_record_counts WHERE org_id = $1';

/**
 * The count of a lone top-level metadata equality or "in" (loneMetaFilter): the sum of meta_value_counts
 * (migration 5) over the keys of the values asked for. Each counter row matches once however often its value
 * is listed (1 and 1.0 are one key), as each record matches the filter's containment tests once.
 */
const META_COUNT_SQL =
  'SELECT coalesce(sum(n), 0) AS count FROM meta_value_counts WHERE org_id = $1 AND k = $2 AND v IN (SELECT DISTINCT tally_meta_value_key(x) FROM unnest($3::text[]::jsonb[]) AS x)';

/**
 * A statement that continues the WHERE clause's parameters: `build` gets a function that binds one more value and
 * returns its placeholder, so no placeholder is counted by hand.
 */
function after(whereValues: unknown[], build: (bind: (value: unknown) => string) => string): Statement {
  const values = [...whereValues];
  return { text: build((value) => postgresDialect.param(values, value)), values };
}

export function listSql(orgId: string, q: ListQuery): ListSql {
  const params: unknown[] = [];
  const where = whereSql(postgresDialect, params, orgId, q.since, q.conditions, TIMESTAMP_COLUMN);
  const direction = q.sort.descending ? 'DESC' : 'ASC';
  const order = `${postgresDialect.orderBy(q.sort.column, SCALAR_OF.get(q.sort.column) ?? 'text', q.sort.descending)}, id ${direction}`;
  const want = q.limit + 1;
  const unfiltered = q.conditions.length === 0 && q.since === null;
  const lone = loneMetaFilter(q);

  let count: Statement | null = null;
  if (q.count !== false) {
    if (unfiltered) count = { text: ORG_COUNT_SQL, values: [orgId], name: 'tally_org_count' };
    else if (lone)
      count = { text: META_COUNT_SQL, values: [orgId, lone.key, lone.values.map((v) => JSON.stringify(v))], name: 'tally_meta_count' };
    else count = { text: `SELECT count(*) AS count FROM records WHERE ${where}`, values: params };
  }

  // The page's ids first, then only those rows: a deep page skips index entries instead of whole rows.
  const page = after(params, (bind) => {
    const ids = `SELECT id FROM records WHERE ${where} ORDER BY ${order} LIMIT ${bind(want)} OFFSET ${bind(q.offset)}`;
    return `SELECT ${COLUMNS} FROM records WHERE org_id = ${bind(orgId)} AND id IN (${ids}) ORDER BY ${order}`;
  });

  // The planner would often rather read every match in a time range and sort it than walk the org in id order.
  // Only shallow pages try, since the count runs beside the page, not before it.
  const bound = !unfiltered && q.sort.column === 'id' && !seeksMatches(q) ? walkBound(q.offset + want, null, 0) : null;
  const walk =
    bound === null
      ? null
      : after(params, (bind) => {
          const org = bind(orgId);
          const walked = `SELECT id, (${where}) AS hit FROM records WHERE org_id = ${org} ORDER BY ${order} LIMIT ${bind(bound)}`;
          const ids = `SELECT id FROM (${walked}) w WHERE hit ORDER BY ${order} LIMIT ${bind(want)} OFFSET ${bind(q.offset)}`;
          return `SELECT ${COLUMNS} FROM records WHERE org_id = ${org} AND id IN (${ids}) ORDER BY ${order}`;
        });
  return { want, count, page, walk };
}

/**
 * Whether an equality or "in" on an identifier's index (the registry's 'lookup') or a top-level metadata key (the
 * GIN index) finds the matches directly. Such matches may be rare, so walking the org's newest records for them
 * would mostly read records that do not match: the walk is left to lists the indexes cannot narrow as well (text
 * patterns, ranges, a start time).
 */
function seeksMatches(q: ListQuery): boolean {
  return q.conditions.some(
    (c) =>
      (c.op === 'eq' || c.op === 'in') &&
      (c.target.kind === 'column' ? INDEXED_COLUMNS.get(c.target.column) === 'lookup' : c.target.path.length === 1),
  );
}
