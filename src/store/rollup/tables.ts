import { binOf, pairsOf, type SketchPairs } from './sketch.ts';

/**
 * The rollup tables (docs/analytics.md, "Rollups"): measures pre-added per org, time grain and dimensions, kept in
 * the transaction that inserts or deletes the records. Both stores have the same tables and columns.
 * - rollups_day: per UTC day, type (field_3), model (field_4) and status: what a request over whole UTC days reads
 *   (at 1M records over 30 days of 20 models: ~1.2k rows).
 * - rollups_hour: the same per UTC hour, for whole hours and zones with whole-hour offsets (~25k rows there).
 * - rollups_customer_day: per UTC day and customer (field_10), sums only (no sketches): what the top customers over
 *   whole UTC days read (~30k rows a month at 1,000 customers).
 * - rollups_customer_hour: per UTC hour, type, model, customer and status, with sketches: whatever the others cannot
 *   serve of the contract's "at the least" (customer by the hour, in a zone, with another dimension, percentiles).
 *   At a thousand customers it holds nearly a row per record: it serves exactly, not fast.
 * A dimension's value is kept encoded: 'v' and its text, or 'n' for no value (NULL), so that it can be in a key.
 */
export interface RollupTable {
  name: 'rollups_day' | 'rollups_hour' | 'rollups_customer_day' | 'rollups_customer_hour';
  /** Microseconds: a row covers [t, t + grain). */
  grain: number;
  /** The field names of its dimensions (text columns of records with the same names). */
  dims: readonly string[];
  /** Whether it keeps the latency and TTFT sketches (lat, ttft). */
  sketches: boolean;
}

export const HOUR_US = 3_600_000_000;
export const DAY_US = 24 * HOUR_US;

/** In the order the planner tries them: the smallest that can serve a request answers it. */
export const ROLLUP_TABLES: readonly RollupTable[] = [
  { name: 'rollups_day', grain: DAY_US, dims: ['field_3', 'field_4', 'status'], sketches: true },
  { name: 'rollups_hour', grain: HOUR_US, dims: ['field_3', 'field_4', 'status'], sketches: true },
  { name: 'rollups_customer_day', grain: DAY_US, dims: ['field_10'], sketches: false },
  { name: 'rollups_customer_hour', grain: HOUR_US, dims: ['field_3', 'field_4', 'field_10', 'status'], sketches: true },
];

/**
 * The sums a rollup row keeps: count, errors, and for each nullable measure its non-null count and its sum (so that a
 * sum over no values is null, and a float sum is set back to exactly 0 when its last value is deleted).
 */
export const SUMS = [
  'n',
  'errors',
  'costed',
  'cost',
  'tp_n',
  'tp',
  'tc_n',
  'tc',
  'tt_n',
  'tt',
  'lat_n',
  'lat_sum',
  'rate_n',
  'rate_sum',
] as const;
export type SumName = (typeof SUMS)[number];
/** The float sums and the count that says they have no values left. */
export const FLOAT_SUMS: readonly [SumName, SumName][] = [
  ['cost', 'costed'],
  ['lat_sum', 'lat_n'],
  ['rate_sum', 'rate_n'],
];
/** The sketch columns and the record column each holds. */
export const SKETCHES = [
  ['lat', 'field_7'],
  ['ttft', 'field_8'],
] as const;

/** The record columns a rollup reads. */
export const ROLLUP_SOURCE_COLUMNS = [
  'org_id',
  'ts',
  'field_3',
  'field_4',
  'status',
  'field_10',
  'field_6',
  'field_7',
  'field_8',
  'rate',
  'sub_field_a',
  'sub_field_b',
  'sub_field_total',
] as const;
export type RollupSource = Record<(typeof ROLLUP_SOURCE_COLUMNS)[number], unknown>;

/** A dimension value as a rollup key holds it. */
export const encodeKey = (v: unknown): string => (v === null || v === undefined ? 'n' : `v${String(v)}`);
/** A rollup key back to the value (a text column's). */
export const decodeKey = (k: string): string | null => (k === 'n' ? null : k.slice(1));

/** The start of the grain that holds ts (microseconds, floor). */
export const floorTo = (ts: number, grain: number): number => ts - (((ts % grain) + grain) % grain);

/** One row's change: its key, the sums to add (negative for deletions, SUMS order) and the sketches' bin counts to add. */
export interface RollupChange {
  org: string;
  t: number;
  keys: string[];
  sums: Float64Array;
  lat: Map<number, number>;
  ttft: Map<number, number>;
}

/** A row's change as written: the sketches as pairs. */
export interface RollupWrite {
  org: string;
  t: number;
  keys: string[];
  sums: Record<SumName, number>;
  lat: SketchPairs;
  ttft: SketchPairs;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
/** The nullable sums: the record column, and the indexes (in SUMS) of the count of its values and of their sum. */
const at = (s: SumName) => SUMS.indexOf(s);
const NULLABLE = (
  [
    ['sub_field_a', 'tp_n', 'tp'],
    ['sub_field_b', 'tc_n', 'tc'],
    ['sub_field_total', 'tt_n', 'tt'],
    ['field_7', 'lat_n', 'lat_sum'],
    ['rate', 'rate_n', 'rate_sum'],
  ] as const
).map(([col, n, sum]) => ({ col, n: at(n), sum: at(sum) }));
const [N, ERRORS, COSTED, COST] = [at('n'), at('errors'), at('costed'), at('cost')];
const TABLE_INDEX = new Map(ROLLUP_TABLES.map((t, i) => [t.name, i]));
const TABLE_DIMS = ROLLUP_TABLES.map((t) => t.dims as readonly (keyof RollupSource)[]);

/** The bins of a row of a table without sketches: empty, never added to. */
const NO_BINS = new Map<number, number>();

/** The finest table: every dimension, by the hour (the others can be added up from its rows). */
const FINE = ROLLUP_TABLES.findIndex((t) => t.name === 'rollups_customer_hour');

/** What one record adds to a row, whatever the table. */
interface RecordValues {
  ts: number;
  org: string;
  error: boolean;
  cost: number | null;
  nullable: (number | null)[];
  latBin: number | null;
  ttftBin: number | null;
}

/** The other tables, and whether each keeps sketches. */
const COARSER = ROLLUP_TABLES.map((_, i) => i).filter((i) => i !== FINE);
const COARSER_SKETCHES = COARSER.map((i) => ROLLUP_TABLES[i].sketches);

/** Adds a record's values to a change (sign -1: takes them out). */
function addValues(c: RollupChange, v: RecordValues, sign: 1 | -1): void {
  const s = c.sums;
  s[N] += sign;
  if (v.error) s[ERRORS] += sign;
  if (v.cost !== null) {
    s[COSTED] += sign;
    s[COST] += sign * v.cost;
  }
  for (let i = 0; i < NULLABLE.length; i++) {
    const x = v.nullable[i];
    if (x === null) continue;
    s[NULLABLE[i].n] += sign;
    s[NULLABLE[i].sum] += sign * x;
  }
  addBins(c, v, sign);
}

/** Adds a record's latency and TTFT to a change's sketches. */
function addBins(c: RollupChange, v: RecordValues, sign: 1 | -1): void {
  if (v.latBin !== null) c.lat.set(v.latBin, (c.lat.get(v.latBin) ?? 0) + sign);
  if (v.ttftBin !== null) c.ttft.set(v.ttftBin, (c.ttft.get(v.ttftBin) ?? 0) + sign);
}

/** A level of a table's changes: by org, then grain start, then each dimension's value (null: none); a change last. */
type Level = Map<string | number | null, Level | RollupChange>;
/** A dimension's value as a level's key: its text, or null. */
const dimValue = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
/** The level under key k (made when missing). */
function child(level: Level, k: string | number | null): Level {
  let next = level.get(k) as Level | undefined;
  if (!next) {
    next = new Map();
    level.set(k, next);
  }
  return next;
}
/** Key order within a level: null first (encoded 'n' < 'v…'), then numbers, then text. */
const byKey = (a: string | number | null, b: string | number | null): number =>
  a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1;

/**
 * The changes a set of inserted (sign 1) or deleted (sign -1) records make to every rollup table, added up in JS
 * first, so that a group commit of a thousand records writes each row it touches once. A table's changes are kept
 * in nested maps by the parts of the row's key (org, grain start, each dimension's value), so that finding a record's
 * row builds no key string.
 */
export class RollupDelta {
  /** Per table (ROLLUP_TABLES order), the changes by row key. */
  private readonly tables: Level[] = ROLLUP_TABLES.map(() => new Map());
  /** Per row of the finest table, the coarser tables' rows its records fall in (COARSER order). */
  private readonly coarser = new Map<RollupChange, RollupChange[]>();
  private settled = true;
  private readonly recordValues: RecordValues = {
    ts: 0,
    org: '',
    error: false,
    cost: null,
    nullable: new Array<number | null>(NULLABLE.length),
    latBin: null,
    ttftBin: null,
  };
  size = 0;

  add(r: RollupSource, sign: 1 | -1): void {
    this.size++;
    const v = this.valuesOf(r);
    // The record's row of the finest table (every dimension, by the hour) is looked up through the nested maps; the
    // rows of the coarser tables it falls in are the same for every record of that row, found once and kept on it.
    const fine = this.changeFor(FINE, r, v);
    let coarser = this.coarser.get(fine);
    if (!coarser) {
      coarser = COARSER.map((ti) => this.changeFor(ti, r, v));
      this.coarser.set(fine, coarser);
    }
    addValues(fine, v, sign);
    // The coarser rows' sums are added up from the finest rows' when read (settle); their sketches here.
    for (let i = 0; i < coarser.length; i++) if (COARSER_SKETCHES[i]) addBins(coarser[i], v, sign);
    this.settled = false;
  }

  /** The coarser tables' sums, added up from the finest rows' (once after adds, before their changes are read). */
  private settle(): void {
    if (this.settled) return;
    for (const rows of this.coarser.values()) for (const c of rows) c.sums.fill(0);
    for (const [fine, rows] of this.coarser) {
      const f = fine.sums;
      for (const c of rows) for (let i = 0; i < f.length; i++) c.sums[i] += f[i];
    }
    this.settled = true;
  }

  /** What a record adds, worked out once for every table (the same object each call). */
  private valuesOf(r: RollupSource): RecordValues {
    const v = this.recordValues;
    v.ts = Number(r.ts);
    v.org = String(r.org_id);
    v.error = r.status === 'error';
    v.cost = num(r.field_6);
    for (let i = 0; i < NULLABLE.length; i++) v.nullable[i] = num(r[NULLABLE[i].col]);
    const lat = num(r.field_7);
    const ttft = num(r.field_8);
    v.latBin = lat === null ? null : binOf(lat);
    v.ttftBin = ttft === null ? null : binOf(ttft);
    return v;
  }

  private newChange(table: RollupTable, org: string, t: number, keys: string[]): RollupChange {
    return {
      org,
      t,
      keys,
      sums: new Float64Array(SUMS.length),
      // A table without sketches never adds to its rows' (shared, always empty).
      lat: table.sketches ? new Map() : NO_BINS,
      ttft: table.sketches ? new Map() : NO_BINS,
    };
  }

  /** The change of table ti that holds the record (made when missing). */
  private changeFor(ti: number, r: RollupSource, v: RecordValues): RollupChange {
    const table = ROLLUP_TABLES[ti];
    const t = floorTo(v.ts, table.grain);
    const dims = TABLE_DIMS[ti];
    let level = child(child(this.tables[ti], v.org), t);
    for (let d = 0; d < dims.length - 1; d++) level = child(level, dimValue(r[dims[d]]));
    const last = dimValue(r[dims[dims.length - 1]]);
    let c = level.get(last) as RollupChange | undefined;
    if (!c) {
      c = this.newChange(
        table,
        v.org,
        t,
        dims.map((d) => encodeKey(r[d])),
      );
      level.set(last, c);
    }
    return c;
  }

  /** The changes of one table, in key order (so that two writers take rows in the same order), as they are kept. */
  changes(table: RollupTable['name']): RollupChange[] {
    this.settle();
    const ti = TABLE_INDEX.get(table)!;
    const out: RollupChange[] = [];
    const depth = 2 + TABLE_DIMS[ti].length; // org, t, the dimensions
    const walk = (level: Level, d: number): void => {
      const keys = [...level.keys()].sort(byKey);
      for (const k of keys) {
        const next = level.get(k)!;
        if (d === depth - 1) out.push(next as RollupChange);
        else walk(next as Level, d + 1);
      }
    };
    walk(this.tables[ti], 0);
    return out;
  }

  /** The changes of one table, in key order, with named sums and the sketches as pairs. */
  writes(table: RollupTable['name']): RollupWrite[] {
    return this.changes(table).map((c) => ({
      org: c.org,
      t: c.t,
      keys: c.keys,
      sums: Object.fromEntries(SUMS.map((name, i) => [name, c.sums[i]])) as Record<SumName, number>,
      lat: pairsOf(c.lat),
      ttft: pairsOf(c.ttft),
    }));
  }
}

/**
 * A RollupSource reading an encoded record's values (RECORD_COLUMNS order) without copying them: the same object
 * each call, refilled (RollupDelta.add keeps nothing of it), so that a record costs no allocation.
 */
export function sourceOfValues(columnIndex: ReadonlyMap<string, number>): (values: unknown[]) => RollupSource {
  const at = ROLLUP_SOURCE_COLUMNS.map((c) => columnIndex.get(c)!);
  const out = Object.fromEntries(ROLLUP_SOURCE_COLUMNS.map((c) => [c, null])) as Record<string, unknown>;
  return (values) => {
    for (let i = 0; i < at.length; i++) out[ROLLUP_SOURCE_COLUMNS[i]] = values[at[i]];
    return out as RollupSource;
  };
}
