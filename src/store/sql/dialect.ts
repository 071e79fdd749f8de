import type { ScalarKind } from '../../fields/registry.ts';
import type { CompareOp, MetaValue, PatternOp } from '../../query/filters.ts';

/**
 * What differs between SQL engines when filtering, sorting and summarising. The where-clause builder (where.ts)
 * and the summary (summary.ts) speak only through this interface; each store supplies one.
 */
export interface Dialect {
  /** Adds a bound parameter and returns its placeholder. */
  param(params: unknown[], value: unknown): string;
  /**
   * A condition true of every row, placed before the filters in the WHERE clauses that filter records or add them up
   * (where.ts): how SQLite checks the read budget while a statement runs (its dialect.ts). Absent where the engine
   * enforces the budget itself.
   */
  rowCheck?: string;
  /**
   * The clause after a table's name that makes a read use this index (SQLite's INDEXED BY: without statistics its
   * planner prefers a table's own key). Absent where the planner has statistics to choose by.
   */
  indexedBy?: (index: string) => string;
  /** A column compared by Unicode code point when text. */
  comparable(column: string, scalar: ScalarKind): string;
  /** A column's text form, as PostgreSQL's ::text gives it, for text lookups. */
  textOf(column: string, scalar: ScalarKind): string;
  /**
   * expr equals one of the values (a column's "in"; values of the column's kind, never empty), with IN's
   * semantics. How many parameters the list binds is the dialect's business (filters.ts bounds the values).
   */
  inList(params: unknown[], expr: string, scalar: ScalarKind, values: (string | number)[]): string;
  /** A case-sensitive contains/startswith/endswith, or icontains, on a text expression. */
  pattern(params: unknown[], textExpr: string, op: PatternOp, value: string): string;
  /** Metadata: the key at path equals value, with JSON types respected (1 ≠ "1"). */
  metaEquals(params: unknown[], path: string[], value: MetaValue): string;
  /**
   * Metadata: the key at path equals any of the values: the metaEquals of each value ORed, written so that the
   * expression's depth does not grow with the list (an OR chain nests a level per value, and SQLite refuses
   * expressions nested 1,000 deep) and it binds at most one parameter per value, plus a few.
   */
  metaIn(params: unknown[], path: string[], values: (string | number | boolean)[]): string;
  /** Metadata: number-to-number or string-to-string comparison; other types never match. */
  metaCompare(params: unknown[], path: string[], op: CompareOp, value: string | number): string;
  /** Metadata: the value's text form (strings unquoted, numbers and booleans as written, JSON null → NULL). */
  metaText(params: unknown[], path: string[]): string;
  /** Metadata: the key is absent. */
  metaMissing(params: unknown[], path: string[]): string;
  /** ORDER BY term with NULLs last ascending and first descending (PostgreSQL's default). */
  orderBy(column: string, scalar: ScalarKind, descending: boolean): string;
  /**
   * A statement selecting, as p0, p1, ..., the nearest-rank percentiles of a column over the records matching
   * `where` (params in placeholder order): the value at 1-based rank ceil(p * n) of its n non-null values in
   * ascending order, NULL when n is 0. One pass, exact.
   */
  percentiles(params: unknown[], column: string, fractions: readonly number[], where: (params: unknown[]) => string): string;
}

export const COMPARE_SQL: Readonly<Record<CompareOp, string>> = { lt: '<', lte: '<=', gt: '>', gte: '>=' };
