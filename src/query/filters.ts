import { AppError, type ErrorDetail } from '../errors.ts';
import { MAX_DEPTH, guardJsonValue, isStorableText } from '../fields/input-guard.ts';
import { FIELD_BY_NAME, METADATA_PREFIX, isFilterable, type ScalarKind } from '../fields/registry.ts';
import { parseTimestamp } from '../time.ts';
import { pythonText } from './text-forms.ts';

/**
 * Filters arrive as {"<field>": {"operator": "<op>", "value": [...]}} and leave as a store-independent list
 * of typed conditions. The operators are Django's QuerySet lookups; docs/filters.md gives the semantics.
 */

export const OPERATORS = ['', 'not', 'lt', 'lte', 'gt', 'gte', 'contains', 'icontains', 'startswith', 'endswith', 'in', 'isnull'] as const;
export type Operator = (typeof OPERATORS)[number];
export type PatternOp = 'contains' | 'icontains' | 'startswith' | 'endswith';
export type CompareOp = 'lt' | 'lte' | 'gt' | 'gte';

/** A scalar JSON value as it appears in metadata. */
export type MetaValue = string | number | boolean | null;

export type Target = { kind: 'column'; name: string; column: string; scalar: ScalarKind } | { kind: 'meta'; name: string; path: string[] };

export type Condition =
  | { op: 'eq' | 'not'; target: Target; value: MetaValue }
  | { op: CompareOp; target: Target; value: string | number }
  | { op: PatternOp; target: Target; value: string }
  | { op: 'in'; target: Target; values: (string | number | boolean)[] }
  | { op: 'isnull'; target: Target; value: boolean }
  | { op: 'none' }; // matches nothing (an empty "in")

/** The most filters one request may combine. */
export const MAX_FILTERS = 100;
/** The most values one "in" list may hold. */
export const MAX_IN_VALUES = 1000;
/**
 * The most values all the "in" lists of one request may hold together: SQLite binds each as a parameter and takes
 * at most 32,766 in a statement (the count with the filters' own: docs/filters.md, Limits).
 */
export const MAX_FILTER_VALUES = 30_000;
// biome-ignore lint/suspicious/noControlCharactersInRegex: a metadata key may not hold control characters, which this range names
const META_KEY = /^[^"\\\u0000-\u001f]{1,256}$/;

function bad(field: string, message: string): never {
  throw new AppError('invalid_filter_value', `Filter "${field}": ${message}`, [{ field, message }]);
}

export function resolveTarget(name: string): Target {
  if (name.startsWith(METADATA_PREFIX)) {
    const path = name.slice(METADATA_PREFIX.length).split('__');
    if (path.some((k) => !META_KEY.test(k) || !isStorableText(k))) {
      throw new AppError(
        'unknown_filter_field',
        `Filter "${name}": metadata keys must be 1-256 characters without quotes, backslashes or control characters`,
        [{ field: name, message: 'invalid metadata key' }],
      );
    }
    if (path.length > MAX_DEPTH) {
      throw new AppError(
        'unknown_filter_field',
        `Filter "${name}": a metadata path has at most ${MAX_DEPTH} keys (metadata nests no deeper)`,
        [{ field: name, message: 'metadata path too deep' }],
      );
    }
    return { kind: 'meta', name, path };
  }
  const field = FIELD_BY_NAME.get(name);
  if (!field || !isFilterable(field)) {
    throw new AppError('unknown_filter_field', `Unknown filter field "${name}"`, [
      { field: name, message: `not a filterable field; use a scalar field name or ${METADATA_PREFIX}<key>` },
    ]);
  }
  return { kind: 'column', name, column: field.storage.column, scalar: field.scalar };
}

/** A comparison value for a column, of the column's kind. */
function columnValue(target: Extract<Target, { kind: 'column' }>, v: unknown): string | number {
  switch (target.scalar) {
    case 'text':
      if (typeof v === 'string') return v;
      return bad(target.name, `expects string values, got ${JSON.stringify(v)}`);
    case 'float':
    case 'int': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      if (Number.isFinite(n)) return n;
      return bad(target.name, `expects numeric values, got ${JSON.stringify(v)}`);
    }
    case 'timestamp': {
      const us = typeof v === 'string' ? parseTimestamp(v) : null;
      if (us !== null) return us;
      return bad(target.name, `expects ISO 8601 timestamps, got ${JSON.stringify(v)}`);
    }
  }
}

function metaValue(target: Target, v: unknown): MetaValue {
  if (v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) return v;
  return bad(target.name, `expects string, number, boolean or null values, got ${JSON.stringify(v)}`);
}

function patternValue(target: Target, v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return pythonText(v);
  return bad(target.name, `expects a string, got ${JSON.stringify(v)}`);
}

function parseOne(name: string, spec: unknown): Condition {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    return bad(name, 'must be an object {"operator": "...", "value": [...]}');
  }
  const { operator = '', value, ...rest } = spec as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0)
    return bad(name, `unknown key(s) ${extra.map((k) => `"${k}"`).join(', ')}; only "operator" and "value" are allowed`);
  if (typeof operator !== 'string' || !(OPERATORS as readonly string[]).includes(operator)) {
    throw new AppError('unknown_operator', `Filter "${name}": unknown operator ${JSON.stringify(operator)}`, [
      { field: name, message: `operator must be one of ${OPERATORS.map((o) => JSON.stringify(o)).join(', ')}` },
    ]);
  }
  const target = resolveTarget(name);
  if (value === undefined) return bad(name, 'has no "value"');
  const values = Array.isArray(value) ? value : [value];
  // No stored string holds a NUL or a lone surrogate (creates refuse them), and the engines mishandle them
  // (SQLite's GLOB stops at a NUL): refuse them here too.
  const unstorable: ErrorDetail[] = [];
  if (!guardJsonValue(values, name, unstorable)) return bad(name, unstorable[0].message);
  const op = operator as Operator;

  if (op === 'in') {
    if (values.length > MAX_IN_VALUES) return bad(name, `"in" takes at most ${MAX_IN_VALUES} values (got ${values.length})`);
    const kept = values.filter((v) => v !== null); // as in Django, NULL is never IN anything
    if (kept.length === 0) return { op: 'none' };
    const typed = kept.map((v) => (target.kind === 'meta' ? metaValue(target, v) : columnValue(target, v))) as (
      | string
      | number
      | boolean
    )[];
    return { op: 'in', target, values: typed };
  }
  if (values.length === 0) return bad(name, `operator ${JSON.stringify(op)} needs one value`);
  const first = values[0];
  if (op === 'isnull') {
    if (typeof first !== 'boolean') return bad(name, '"isnull" takes true or false');
    return { op: 'isnull', target, value: first };
  }
  if (op === '' || op === 'not') {
    // A column's NULL is "no value" (Django: isnull); a metadata null is JSON null, as Django's key lookups treat None.
    if (first === null && target.kind === 'column') return { op: 'isnull', target, value: op === '' };
    const v = target.kind === 'meta' ? metaValue(target, first) : columnValue(target, first);
    return { op: op === '' ? 'eq' : 'not', target, value: v };
  }
  if (first === null) return bad(name, `operator "${op}" cannot compare with null; use "isnull"`);
  if (op === 'lt' || op === 'lte' || op === 'gt' || op === 'gte') {
    if (target.kind === 'meta') {
      const v = metaValue(target, first);
      if (typeof v !== 'string' && typeof v !== 'number') return bad(name, `"${op}" compares numbers or strings`);
      return { op, target, value: v };
    }
    return { op, target, value: columnValue(target, first) };
  }
  return { op, target, value: patternValue(target, first) };
}

/** Parses the filters object; every problem is a 400 that names the filter. */
export function parseFilters(filters: unknown): Condition[] {
  if (filters === undefined || filters === null) return [];
  if (typeof filters !== 'object' || Array.isArray(filters)) {
    throw new AppError('invalid_filter_value', '"filters" must be an object keyed by field name', [
      { field: 'filters', message: 'must be an object' },
    ]);
  }
  const entries = Object.entries(filters as Record<string, unknown>);
  if (entries.length > MAX_FILTERS) {
    throw new AppError('invalid_filter_value', `At most ${MAX_FILTERS} filters`, [
      { field: 'filters', message: `too many filters (${entries.length})` },
    ]);
  }
  const conditions = entries.map(([name, spec]) => parseOne(name, spec));
  const values = conditions.reduce((n, c) => n + (c.op === 'in' ? c.values.length : 0), 0);
  if (values > MAX_FILTER_VALUES) {
    throw new AppError(
      'invalid_filter_value',
      `The "in" lists of one request hold at most ${MAX_FILTER_VALUES} values together; these hold ${values}`,
      [{ field: 'filters', message: `too many "in" values (${values}; at most ${MAX_FILTER_VALUES})` }],
    );
  }
  return conditions;
}
