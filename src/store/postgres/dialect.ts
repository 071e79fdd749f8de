import { METADATA_COLUMN, type ScalarKind } from '../../fields/registry.ts';
import type { CompareOp, MetaValue, PatternOp } from '../../query/filters.ts';
import { readsArrays } from '../../query/meta-path.ts';
import { COMPARE_SQL, type Dialect } from '../sql/dialect.ts';

const META = METADATA_COLUMN;

/** UTF-8 bytes compare in code point order, as SQLite's BINARY collation does. */
const CODE_POINT = 'COLLATE "C"';

/**
 * UPPER() under "C" leaves every non-ASCII letter alone. tally_case (created by the first migration) is libc's
 * C.UTF-8, whose towupper maps one code point at a time (é → É, ß stays ß), as simpleUpper does on SQLite.
 */
const UNICODE_CASE = 'COLLATE tally_case';

/** Django's LIKE escaping: backslash, percent and underscore stand for themselves. */
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (ch) => `\\${ch}`);

/**
 * contains and icontains of a value up to this many characters are a LIKE. Past it a LIKE is costly and cannot be
 * stopped: PostgreSQL compares up to the value's length at every place in the text and checks for cancellation only
 * between records, so it can run far past statement_timeout (docs/performance.md).
 */
const LIKE_MAX = 32;

/**
 * Up to this many characters, contains and icontains are a regular expression that matches the value literally
 * (`***=`): its matcher checks for cancellation as it goes, so the read budget (statement_timeout) stops it on
 * time. PostgreSQL refuses longer ones ("regular expression is too complex", from about 40,000); those are a strpos,
 * fast on real text but, like LIKE, stoppable only between records (docs/performance.md).
 */
const REGEX_MAX = 30_000;

const LIKE_PATTERN: Record<'contains' | 'startswith', (v: string) => string> = {
  contains: (v) => `%${likeEscape(v)}%`,
  startswith: (v) => `${likeEscape(v)}%`,
};

/**
 * The array type an "in" list of a column's kind is bound as: the type the column is compared as (comparable),
 * so `= ANY` converts each element as IN converted each value.
 */
const ARRAY_OF: Record<ScalarKind, string> = { text: 'text[]', int: 'numeric[]', float: 'float8[]', timestamp: 'int8[]' };

export const postgresDialect: Dialect = {
  param(params, value) {
    params.push(value);
    return `$${params.length}`;
  },
  // PostgreSQL itself rewrites `x IN (a, b)` as `x = ANY (ARRAY[a, b])`; one array parameter instead of one per
  // value keeps a statement far below the protocol's 65,535 parameters, whatever the lists hold.
  inList(params, expr, scalar: ScalarKind, values) {
    return `${expr} = ANY(${this.param(params, values)}::${ARRAY_OF[scalar]})`;
  },
  comparable(column, scalar: ScalarKind) {
    if (scalar === 'text') return `${column} ${CODE_POINT}`;
    // A fractional value (field_18 = 200.5) must compare as a number, not fail to parse as an integer.
    if (scalar === 'int') return `${column}::numeric`;
    return column;
  },
  textOf(column, scalar: ScalarKind) {
    if (scalar === 'text') return column;
    // float8 prints shortest round-trip digits (extra_float_digits = 1, set per session), like pgFloatText.
    if (scalar === 'int' || scalar === 'float') return `${column}::text`;
    // timestamptz's text in a UTC session, built from the naive timestamp so no session TimeZone can shift it.
    return `((timestamp 'epoch' + ${column} * interval '1 microsecond')::text || '+00')`;
  },
  pattern(params, textExpr, op: PatternOp, value) {
    const length = [...value].length;
    // LIKE '%value' tries every place in the text, each for up to the value's length; comparing the last
    // characters is linear.
    if (op === 'endswith') return `right(${textExpr}, ${this.param(params, length)}) = ${this.param(params, value)}`;
    if (op === 'startswith' || length <= LIKE_MAX) {
      if (op !== 'icontains') return `${textExpr} LIKE ${this.param(params, LIKE_PATTERN[op](value))}`;
      return `UPPER(${textExpr} ${UNICODE_CASE}) LIKE UPPER(${this.param(params, `%${likeEscape(value)}%`)}::text ${UNICODE_CASE})`;
    }
    const [text, needle] =
      op === 'icontains'
        ? [`UPPER(${textExpr} ${UNICODE_CASE})`, (p: string) => `UPPER(${p}::text ${UNICODE_CASE})`]
        : [textExpr, (p: string) => `${p}::text`];
    if (length <= REGEX_MAX) return `${text} ~ ('***=' || ${needle(this.param(params, value))})`;
    return `strpos(${text}, ${needle(this.param(params, value))}) > 0`;
  },
  metaEquals(params, path, value: MetaValue) {
    // A path that may step into an array is compared where `#>` finds the value (jsonb equality types as below).
    if (readsArrays(path)) return `${metaValue(this, params, path)} = ${this.param(params, JSON.stringify(value))}::jsonb`;
    // Containment serves the GIN jsonb_path_ops index and compares JSON types ("1" ≠ 1, 1 = 1.0, null is JSON null).
    return `${META} @> ${this.param(params, containing(path, value))}::jsonb`;
  },
  metaIn(params, path, values) {
    // metaEquals of each value, ORed, as one array parameter: `= ANY` (and `@> ANY`, which the GIN index serves as a
    // bitmap scan per element) holds when its operator holds for some element.
    if (readsArrays(path))
      return `${metaValue(this, params, path)} = ANY(${this.param(
        params,
        values.map((v) => JSON.stringify(v)),
      )}::jsonb[])`;
    return `${META} @> ANY(${this.param(
      params,
      values.map((v) => containing(path, v)),
    )}::jsonb[])`;
  },
  metaCompare(params, path, op: CompareOp, value) {
    const v = () => metaValue(this, params, path);
    // CASE, not AND: PostgreSQL may evaluate AND's operands in any order, and the cast fails on a non-number.
    const side =
      typeof value === 'number'
        ? `(CASE WHEN jsonb_typeof(${v()}) = 'number' THEN (${v()})::numeric END)`
        : `(CASE WHEN jsonb_typeof(${v()}) = 'string' THEN ${v()} #>> '{}' END) ${CODE_POINT}`;
    const bound = typeof value === 'number' ? `${this.param(params, value)}::numeric` : `${this.param(params, value)}::text`;
    return `${side} ${COMPARE_SQL[op]} ${bound}`;
  },
  metaText(params, path) {
    return `(${metaValue(this, params, path)} #>> '{}')`; // strings unquoted; JSON null → NULL
  },
  metaMissing(params, path) {
    return `(${metaValue(this, params, path)}) IS NULL`; // JSON null is a value, so it counts as present
  },
  orderBy(column, scalar, descending) {
    const term = scalar === 'text' ? `${column} ${CODE_POINT}` : column;
    return `${term} ${descending ? 'DESC NULLS FIRST' : 'ASC NULLS LAST'}`;
  },
  percentiles(params, column, fractions, where) {
    // percentile_disc is nearest rank: the first value whose position reaches ceil(p * n). The calls share one sort.
    const pick = (p: number, i: number) => `percentile_disc(${this.param(params, p)}::float8) WITHIN GROUP (ORDER BY ${column}) AS p${i}`;
    return `SELECT ${fractions.map(pick).join(', ')} FROM records WHERE ${where(params)}`;
  },
};

/** The JSON document that contains value at path (a path of object keys), as nested objects. */
const containing = (path: string[], value: MetaValue) =>
  JSON.stringify(path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value));

/**
 * The jsonb value at path, or NULL. A top-level key is bound as text, so `->` looks it up as an object key
 * (Django would send a key that looks like an integer as an array index, which finds nothing in an object).
 * A longer path goes through `#>` with a text[], as Django's key transforms do: a step looks up an object's
 * key or an array's element (meta-path.ts says the same for SQLite).
 */
function metaValue(d: Dialect, params: unknown[], path: string[]): string {
  if (path.length === 1) return `(${META} -> ${d.param(params, path[0])}::text)`;
  return `(${META} #> ${d.param(params, path)}::text[])`;
}
