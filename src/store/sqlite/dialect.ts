import type { ScalarKind } from '../../fields/registry.ts';
import type { CompareOp, MetaValue, PatternOp } from '../../query/filters.ts';
import { simpleUpper } from '../../query/text-forms.ts';
import { COMPARE_SQL, type Dialect } from '../sql/dialect.ts';

const META = 'field_9';

/** GLOB is SQLite's case-sensitive LIKE; its metacharacters are escaped by bracketing them. */
const globEscape = (s: string) => s.replace(/[[*?]/g, (ch) => `[${ch}]`);

const jsonPath = (path: string[]) => '$' + path.map((k) => `."${k}"`).join('');

const TYPE_GUARD = { string: "= 'text'", number: "IN ('integer', 'real')" } as const;

/** The record_meta type tag of a scalar JSON value (see migrations.ts). */
export function metaTag(value: unknown): 's' | 'n' | 'b' | 'z' | null {
  if (value === null) return 'z';
  if (typeof value === 'string') return 's';
  if (typeof value === 'number') return 'n';
  if (typeof value === 'boolean') return 'b';
  return null; // objects and arrays are not indexed
}

/** The record_meta value of a scalar JSON value. */
export const metaValue = (value: string | number | boolean | null) => (value === null ? 0 : typeof value === 'boolean' ? Number(value) : value);

/**
 * A top-level key's condition, answered from the record_meta index. The store binds the caller's org as the
 * named parameter @org in every list query.
 */
function indexed(params: unknown[], key: string, tag: string, cmp: string, value: unknown): string {
  params.push(key, tag, value);
  return `seq IN (SELECT seq FROM record_meta WHERE org_id = @org AND k = ? AND t = ? AND v ${cmp} ?)`;
}

/** Sorts after every negated value, and is finite, as percentile_disc requires. */
const SENTINEL = Number.MAX_VALUE;

export const sqliteDialect: Dialect = {
  param(params, value) {
    params.push(value);
    return '?';
  },
  comparable: (column) => column, // BINARY collation compares UTF-8 bytes: code point order
  textOf(column, scalar: ScalarKind) {
    if (scalar === 'text') return column;
    if (scalar === 'int') return `CAST(${column} AS TEXT)`;
    if (scalar === 'float') return `tally_float_text(${column})`;
    return `tally_ts_text(${column})`;
  },
  pattern(params, textExpr, op: PatternOp, value) {
    if (op === 'icontains') return `tally_upper(${textExpr}) GLOB ${this.param(params, `*${globEscape(simpleUpper(value))}*`)}`;
    const glob = op === 'contains' ? `*${globEscape(value)}*` : op === 'startswith' ? `${globEscape(value)}*` : `*${globEscape(value)}`;
    return `${textExpr} GLOB ${this.param(params, glob)}`;
  },
  metaEquals(params, path, value: MetaValue) {
    if (path.length === 1) return indexed(params, path[0], metaTag(value)!, '=', metaValue(value));
    const p = () => this.param(params, jsonPath(path));
    if (value === null) return `json_type(${META}, ${p()}) = 'null'`;
    if (typeof value === 'boolean') return `json_type(${META}, ${p()}) = '${value}'`;
    const guard = TYPE_GUARD[typeof value as 'string' | 'number'];
    return `(json_type(${META}, ${p()}) ${guard} AND json_extract(${META}, ${p()}) = ${this.param(params, value)})`;
  },
  metaCompare(params, path, op: CompareOp, value) {
    if (path.length === 1) return indexed(params, path[0], metaTag(value)!, COMPARE_SQL[op], value);
    const guard = TYPE_GUARD[typeof value as 'string' | 'number'];
    const p = () => this.param(params, jsonPath(path));
    return `(json_type(${META}, ${p()}) ${guard} AND json_extract(${META}, ${p()}) ${COMPARE_SQL[op]} ${this.param(params, value)})`;
  },
  metaText(params, path) {
    // SQLite's own text of 0.00002 is 2.0e-05 and of an object is minified; PostgreSQL's ->> is the reference.
    return `tally_json_text(${META} -> ${this.param(params, jsonPath(path))})`;
  },
  metaMissing(params, path) {
    return `json_type(${META}, ${this.param(params, jsonPath(path))}) IS NULL`;
  },
  orderBy: (column, _scalar, descending) => `${column} ${descending ? 'DESC NULLS FIRST' : 'ASC NULLS LAST'}`,
  percentiles(params, column, fractions, where) {
    // SQLite's percentile_disc(v, P) (better-sqlite3 builds it in: SQLITE_ENABLE_PERCENTILE) sorts the m values
    // in C and returns the one at 0-based index floor(P * (m - 1)). The nearest rank ceil(p * n), counted from
    // the top, is index floor((1 - p) * n): so over the negated values plus one sentinel above them all
    // (m = n + 1), P = 1 - p picks it, whatever n is, in one pass (1 - 0.95 rounds up, so the floor never
    // falls one short). test/summary-percentiles.test.ts checks it against a sort for every n up to 300.
    const pick = (p: number, i: number) => `CASE WHEN count(v) > 1 THEN -percentile_disc(v, ${this.param(params, 1 - p)}) END AS p${i}`;
    const select = `SELECT ${fractions.map(pick).join(', ')}`;
    return `${select} FROM (SELECT -${column} AS v FROM records WHERE ${where(params)} UNION ALL SELECT ${this.param(params, SENTINEL)})`;
  },
};
