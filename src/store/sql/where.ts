import type { Condition, Target } from '../../query/filters.ts';
import { COMPARE_SQL, type Dialect } from './dialect.ts';

/**
 * Builds the WHERE clause for a list query, with every value bound as a parameter. Semantics follow
 * Django's lookups on PostgreSQL: "not" keeps records without a value (exclude), while lt/gt/contains/in
 * never match a missing value.
 */
function conditionSql(d: Dialect, params: unknown[], c: Condition): string {
  if (c.op === 'none') return '1 = 0';
  const t = c.target;
  if (t.kind === 'meta') return metaSql(d, params, c, t.path);
  const col = d.comparable(t.column, t.scalar);
  switch (c.op) {
    case 'eq':
      return `${col} = ${d.param(params, c.value)}`;
    case 'not':
      return `NOT (${col} = ${d.param(params, c.value)} AND ${t.column} IS NOT NULL)`;
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte':
      return `${col} ${COMPARE_SQL[c.op]} ${d.param(params, c.value)}`;
    case 'in':
      return d.inList(params, col, t.scalar, c.values as (string | number)[]);
    case 'isnull':
      return `${t.column} IS ${c.value ? '' : 'NOT '}NULL`;
    case 'contains':
    case 'icontains':
    case 'startswith':
    case 'endswith':
      return `(${t.column} IS NOT NULL AND ${d.pattern(params, d.textOf(t.column, t.scalar), c.op, c.value)})`;
  }
}

function metaSql(d: Dialect, params: unknown[], c: Exclude<Condition, { op: 'none' }>, path: string[]): string {
  switch (c.op) {
    case 'eq':
      return d.metaEquals(params, path, c.value);
    case 'not':
      return `NOT COALESCE(${d.metaEquals(params, path, c.value)}, FALSE)`;
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte':
      return d.metaCompare(params, path, c.op, c.value);
    case 'in':
      return d.metaIn(params, path, c.values);
    case 'isnull':
      return c.value ? d.metaMissing(params, path) : `NOT (${d.metaMissing(params, path)})`;
    case 'contains':
    case 'icontains':
    case 'startswith':
    case 'endswith':
      return d.pattern(params, d.metaText(params, path), c.op, c.value); // NULL (no value) never matches
  }
}

/**
 * All conditions ANDed, after the org scope and the optional start time. With `rowCheck` (by default when there
 * are filters, whose cost per row the caller does not bound) the dialect's row check comes before the filters, so
 * that a row they reject still passes through it. Without filters a list only steps through an index, which the
 * check would nearly double; the summary asks for it anyway, its aggregates costing far more (docs/performance.md).
 */
export function whereSql(
  d: Dialect,
  params: unknown[],
  orgId: string,
  since: number | null,
  conditions: Condition[],
  tsColumn: string,
  rowCheck = conditions.length > 0,
): string {
  const parts = [`org_id = ${d.param(params, orgId)}`];
  if (since !== null) parts.push(`${tsColumn} >= ${d.param(params, since)}`);
  if (rowCheck && d.rowCheck) parts.push(d.rowCheck);
  for (const c of conditions) parts.push(conditionSql(d, params, c));
  return parts.join(' AND ');
}

export type { Target };
