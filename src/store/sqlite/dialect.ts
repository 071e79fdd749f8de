import { METADATA_COLUMN, type ScalarKind } from '../../fields/registry.ts';
import type { CompareOp, MetaValue, PatternOp } from '../../query/filters.ts';
import { readsArrays } from '../../query/meta-path.ts';
import { simpleUpper } from './pg-text.ts';
import { COMPARE_SQL, type Dialect } from '../sql/dialect.ts';

const META = METADATA_COLUMN;

/** Binds a value to the next positional placeholder: params are pushed in the order the `?`s appear in the SQL. */
function bind(params: unknown[], value: unknown): string {
  params.push(value);
  return '?';
}

/** GLOB is SQLite's case-sensitive LIKE; its metacharacters are escaped by bracketing them. */
const globEscape = (s: string) => s.replace(/[[*?]/g, (ch) => `[${ch}]`);

/** What SQLite's LIKE folds: ASCII letters only (no ICU; case_sensitive_like is never set). */
const asciiUpper = (s: string) => s.replace(/[a-z]+/g, (m) => m.toUpperCase());

/** A LIKE pattern (ESCAPE '\\') for "contains s". */
const likeContains = (s: string) => `%${s.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

/** The longest run in s of characters that `run` (a global pattern of one character class, +) matches. */
const longestRun = (s: string, run: RegExp) => (s.match(run) ?? []).reduce((a, b) => (b.length > a.length ? b : a), '');

/** The longest run of ASCII characters in s. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: every ASCII character, control characters included
const longestAsciiRun = (s: string) => longestRun(s, /[\u0000-\u007f]+/g);

/** The longest run of ASCII characters other than I and S (the images of ı and ſ) in s. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: every ASCII character but I and S, control characters included
const longestPlainRun = (s: string) => longestRun(s, /[\x00-\x48\x4a-\x52\x54-\x7f]+/g);

/** The shortest I- and S-free run worth checking instead of R and a search for ı and ſ (each a slow scan of the text). */
const PLAIN_MIN = 3;

/** The only non-ASCII characters whose simpleUpper is ASCII (test/icontains-prefilter.test.ts checks every code point). */
const TO_ASCII_UPPER: readonly [string, string][] = [
  ['\u0131', 'I'], // ı dotless i
  ['\u017f', 'S'], // ſ long s
];

/**
 * icontains on a plain text column, with the exact JavaScript test (tally_upper) run only where C-level string
 * matching cannot decide. Let f = simpleUpper (one code point to one code point, idempotent) and g = ASCII-only
 * upper-casing; SQLite's `T LIKE '%P%'` (ASCII case folding only) holds exactly when g(T) contains g(P).
 * - Sufficient: g(T) contains f(N), or g(T) contains g(N). Where g(T) matches an ASCII character of the needle, T
 *   has an ASCII character there, on which f = g; where it matches a non-ASCII one, T has exactly that character
 *   (g changes no non-ASCII character), and f maps it as it maps the needle's (f is idempotent).
 * - Necessary: g(T) contains R, the longest ASCII run of f(N), or T holds ı or ſ. A match puts R in f(T), and each
 *   character of R comes from an ASCII character of T (where f = g) or from ı (→ I) or ſ (→ S); only the ones
 *   whose image R contains need checking.
 * - Also necessary, with no search for ı or ſ: g(T) contains P, a run of f(N)'s ASCII characters without I and S
 *   (by the same argument: none of P's characters can come from ı or ſ). Used first when R holds I or S and such a
 *   P of at least PLAIN_MIN characters (and half of R) exists: searching for ı and ſ costs two slow scans of every
 *   row that lacks R, while most rows lack P too. R's check (with ı and ſ) then only guards the exact test.
 * The match is then: necessary AND (sufficient OR exact). Most rows are decided by one or two C-level scans.
 */
function icontainsColumn(params: unknown[], column: string, value: string): string {
  const upper = simpleUpper(value);
  const p = (v: string) => bind(params, v); // in the order the placeholders appear below
  const like = (s: string) => `${column} LIKE ${p(likeContains(s))} ESCAPE '\\'`;
  const exact = () => `tally_upper(${column}) GLOB ${p(`*${globEscape(upper)}*`)}`;
  const others = () => TO_ASCII_UPPER.filter(([, image]) => run.includes(image)).map(([ch]) => `instr(${column}, ${p(ch)}) > 0`);
  const sufficient = [...new Set([upper, asciiUpper(value)])];
  const run = longestAsciiRun(upper);
  if (run === '') return `(${sufficient.map(like).join(' OR ')} OR ${exact()})`;
  const plain = longestPlainRun(upper);
  if (plain !== run && plain.length >= Math.max(PLAIN_MIN, run.length / 2)) {
    // P first; a row with P that no sufficient check decides reaches the exact test only if it also passes R's check.
    const first = like(plain);
    const decided = sufficient.map(like);
    const rest = [...(sufficient.includes(run) ? [] : [like(run)]), ...others()];
    return `(${first} AND (${decided.join(' OR ')} OR ((${rest.join(' OR ')}) AND ${exact()})))`;
  }
  const necessary = [like(run), ...others()];
  // R is itself sufficient: the match is R, or (ı or ſ present and the exact test).
  if (sufficient.includes(run))
    return necessary.length === 1 ? `(${necessary[0]})` : `(${necessary[0]} OR ((${necessary.slice(1).join(' OR ')}) AND ${exact()}))`;
  return `((${necessary.join(' OR ')}) AND (${sufficient.map(like).join(' OR ')} OR ${exact()}))`;
}

/**
 * The longest needle (in code points) matched with SQLite's LIKE, GLOB or instr. On crafted text their cost per row
 * is the text's length times the needle's (docs/performance.md), and nothing can stop them midway: they never call
 * into JavaScript, where the read budget is checked (reader.ts). Longer needles are matched by containsText, linear
 * whatever the input, after a C-level prefilter on a piece of at most this many characters. This also keeps every
 * LIKE and GLOB pattern far below SQLite's 50,000-byte limit (SQLITE_MAX_LIKE_PATTERN_LENGTH, "pattern too complex").
 */
const SHORT_NEEDLE = 32;

/**
 * A needle longer than SHORT_NEEDLE: startswith and endswith compare a substring (linear); contains and icontains
 * call containsText through tally_contains and tally_icontains, on a plain column only for the rows that pass a
 * C-level prefilter on a piece of the needle (a text expression that calls into JavaScript is not worth computing
 * twice).
 */
function longNeedle(params: unknown[], textExpr: string, op: PatternOp, value: string, chars: string[]): string {
  const p = (v: unknown) => bind(params, v); // in the order the placeholders appear below
  if (op === 'startswith') return `substr(${textExpr}, 1, ${p(chars.length)}) = ${p(value)}`;
  if (op === 'endswith') return `substr(${textExpr}, -${p(chars.length)}) = ${p(value)}`;
  const column = isColumn(textExpr);
  if (op === 'contains') {
    const head = column ? `instr(${textExpr}, ${p(chars.slice(0, SHORT_NEEDLE).join(''))}) > 0 AND ` : '';
    return `(${head}tally_contains(${textExpr}, ${p(value)}))`;
  }
  const upper = simpleUpper(value);
  const head = column ? icontainsPrefilter(params, textExpr, upper) : null;
  return `(${head === null ? '' : `${head} AND `}tally_icontains(${textExpr}, ${p(upper)}))`;
}

/**
 * A necessary condition for icontains of a long needle, checked in C, or null when the needle offers none: LIKE of
 * at most SHORT_NEEDLE characters of an ASCII run of its upper case (any piece of a run is necessary, by the
 * argument of icontainsColumn), the run without I and S when one of PLAIN_MIN characters exists, else a run with
 * them and a search for ı and ſ.
 */
function icontainsPrefilter(params: unknown[], column: string, upper: string): string | null {
  const like = (s: string) => `${column} LIKE ${bind(params, likeContains(s))} ESCAPE '\\'`;
  const plain = longestPlainRun(upper);
  const run = longestAsciiRun(upper);
  if (plain.length >= PLAIN_MIN || (plain === run && run !== '')) return like(plain.slice(0, SHORT_NEEDLE));
  if (run === '') return null;
  const head = run.slice(0, SHORT_NEEDLE);
  const first = like(head);
  const others = TO_ASCII_UPPER.filter(([, image]) => head.includes(image)).map(([ch]) => `instr(${column}, ${bind(params, ch)}) > 0`);
  return others.length === 0 ? first : `(${[first, ...others].join(' OR ')})`;
}

/** A bare column name: repeating it in SQL costs nothing, unlike an expression that calls into JavaScript. */
const isColumn = (expr: string) => /^\w+$/.test(expr);

const jsonPath = (path: string[]) => `$${path.map((k) => `."${k}"`).join('')}`;

/**
 * The arguments of json_type/json_extract that reach the value at a nested path: field_9 and a JSON path of
 * object keys, or, when a step may index an array, tally_json_at's value there (PostgreSQL's `#>`, see
 * meta-path.ts) and '$'. Pushes its one parameter.
 */
function nodeArgs(params: unknown[], path: string[]): string {
  return readsArrays(path)
    ? `tally_json_at(${META}, ${bind(params, JSON.stringify(path))}), '$'`
    : `${META}, ${bind(params, jsonPath(path))}`;
}

/** The JSON text of the value at a nested path, or NULL; as nodeArgs. */
function nodeJson(params: unknown[], path: string[]): string {
  return readsArrays(path) ? `tally_json_at(${META}, ${bind(params, JSON.stringify(path))})` : `${META} -> ${bind(params, jsonPath(path))}`;
}

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
export const metaValue = (value: string | number | boolean | null) =>
  value === null ? 0 : typeof value === 'boolean' ? Number(value) : value;

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

/** Metadata values as record_meta stores them, grouped by type tag: each group is one index range per value. */
function byTag(values: MetaValue[]): [string, unknown[]][] {
  const groups = new Map<string, unknown[]>();
  for (const v of values) groups.set(metaTag(v)!, [...(groups.get(metaTag(v)!) ?? []), metaValue(v)]);
  return [...groups];
}

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/**
 * A top-level key's "in" as one list of seqs (a UNION ALL per type tag), so the planner can drive a small
 * answer from the list instead of testing a list per value on every record.
 */
function indexedIn(params: unknown[], key: string, values: (string | number | boolean)[]): string {
  const parts = byTag(values).map(([tag, vs]) => {
    params.push(key, tag, ...vs);
    return `SELECT seq FROM record_meta WHERE org_id = @org AND k = ? AND t = ? AND v IN (${placeholders(vs.length)})`;
  });
  return `seq IN (${parts.join(' UNION ALL ')})`;
}

/**
 * The same equality (or "in") as a probe of the record_meta primary key for the row at hand: a seek per value
 * instead of a list of every matching seq built up front. Cheaper when few rows are looked at (a walk that stops
 * early).
 */
function probed(params: unknown[], key: string, values: MetaValue[]): string {
  const parts = byTag(values).map(([tag, vs]) => {
    params.push(key, tag, ...vs);
    return `EXISTS (SELECT 1 FROM record_meta WHERE org_id = @org AND k = ? AND t = ? AND v IN (${placeholders(vs.length)}) AND seq = records.seq)`;
  });
  return `(${parts.join(' OR ')})`;
}

/**
 * A nested key's "in": metaEquals of each value ORed, grouped by JSON type, so each group is one IN list (an OR
 * chain nests one level per value, and SQLite refuses expressions nested 1,000 deep). IN compares as = does:
 * json_extract's value and the bound ones carry no affinity, so text matches text and numbers numbers.
 */
function nestedIn(params: unknown[], path: string[], values: (string | number | boolean)[]): string {
  const parts: string[] = [];
  for (const type of ['string', 'number'] as const) {
    const of = values.filter((v) => typeof v === type);
    if (of.length === 0) continue;
    // Placeholders in text order: json_type's path, json_extract's path, then the values.
    parts.push(
      `(json_type(${nodeArgs(params, path)}) ${TYPE_GUARD[type]} AND json_extract(${nodeArgs(params, path)}) IN (${of.map((v) => bind(params, v)).join(', ')}))`,
    );
  }
  const booleans = [...new Set(values.filter((v) => typeof v === 'boolean'))];
  if (booleans.length > 0) parts.push(`json_type(${nodeArgs(params, path)}) IN (${booleans.map((b) => `'${b}'`).join(', ')})`);
  return `(${parts.join(' OR ')})`;
}

/**
 * Every 16th seq calls tally_budget (functions.ts), which throws once the read budget is spent and so ends the
 * statement. seq is the rowid, in every index, so the check costs no read, only a test per row (lists without
 * filters skip it: where.ts; docs/performance.md). Between two checks a scan does at most 16 rows of C-level work,
 * each bounded by SHORT_NEEDLE; a row whose filter calls into JavaScript is checked there too. likelihood(…, 1.0)
 * tells the planner the term drops no row, so that it changes no plan (test/sqlite-plans.test.ts).
 */
export const ROW_CHECK = 'likelihood((seq & 15) <> 0 OR tally_budget(), 1.0)';

export const sqliteDialect: Dialect = {
  param: bind,
  inList: (params, expr, _scalar, values) => `${expr} IN (${values.map((v) => bind(params, v)).join(', ')})`,
  rowCheck: ROW_CHECK,
  indexedBy: (index) => ` INDEXED BY ${index}`,
  comparable: (column) => column, // BINARY collation compares UTF-8 bytes: code point order
  textOf(column, scalar: ScalarKind) {
    if (scalar === 'text') return column;
    if (scalar === 'int') return `CAST(${column} AS TEXT)`;
    if (scalar === 'float') return `tally_float_text(${column})`;
    return `tally_ts_text(${column})`;
  },
  pattern(params, textExpr, op: PatternOp, value) {
    const chars = [...value];
    if (chars.length > SHORT_NEEDLE) return longNeedle(params, textExpr, op, value, chars);
    if (op === 'icontains' && isColumn(textExpr)) return icontainsColumn(params, textExpr, value);
    if (op === 'icontains') return `tally_upper(${textExpr}) GLOB ${this.param(params, `*${globEscape(simpleUpper(value))}*`)}`;
    const glob = op === 'contains' ? `*${globEscape(value)}*` : op === 'startswith' ? `${globEscape(value)}*` : `*${globEscape(value)}`;
    return `${textExpr} GLOB ${this.param(params, glob)}`;
  },
  metaEquals(params, path, value: MetaValue) {
    if (path.length === 1) return indexed(params, path[0], metaTag(value)!, '=', metaValue(value));
    const at = () => nodeArgs(params, path);
    if (value === null) return `json_type(${at()}) = 'null'`;
    if (typeof value === 'boolean') return `json_type(${at()}) = '${value}'`;
    const guard = TYPE_GUARD[typeof value as 'string' | 'number'];
    return `(json_type(${at()}) ${guard} AND json_extract(${at()}) = ${this.param(params, value)})`;
  },
  metaIn(params, path, values) {
    if (path.length === 1) return indexedIn(params, path[0], values);
    return nestedIn(params, path, values);
  },
  metaCompare(params, path, op: CompareOp, value) {
    if (path.length === 1) return indexed(params, path[0], metaTag(value)!, COMPARE_SQL[op], value);
    const guard = TYPE_GUARD[typeof value as 'string' | 'number'];
    const at = () => nodeArgs(params, path);
    return `(json_type(${at()}) ${guard} AND json_extract(${at()}) ${COMPARE_SQL[op]} ${this.param(params, value)})`;
  },
  metaText(params, path) {
    // SQLite's own text of 0.00002 is 2.0e-05 and of an object is minified; PostgreSQL's ->> is the reference.
    return `tally_json_text(${nodeJson(params, path)})`;
  },
  metaMissing(params, path) {
    return `json_type(${nodeArgs(params, path)}) IS NULL`;
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

/** sqliteDialect with top-level metadata equality and "in" as per-row probes (see probed); used by the bounded page walk. */
export const sqliteProbeDialect: Dialect = {
  ...sqliteDialect,
  metaEquals(params, path, value: MetaValue) {
    if (path.length === 1) return probed(params, path[0], [value]);
    return sqliteDialect.metaEquals.call(this, params, path, value);
  },
  metaIn(params, path, values) {
    if (path.length === 1) return probed(params, path[0], values);
    return sqliteDialect.metaIn.call(this, params, path, values);
  },
};
