import { binOf, pairsOf, type SketchPairs } from './sketch.ts';

/**
 * The rollup tables (docs/analytics.md, "Rollups"): measures pre-added per org, time grain and dimensions, kept in
 * the transaction that inserts or deletes the records. Both stores have the same tables and columns.
 * - rollups_day: per UTC day, type (field_3), model (field_4) and status: what a request over whole UTC days reads
 *   (at 1M records over 30 days of 20 models: ~1.2k rows).
 * - rollups_hour: the same per UTC hour, for whole hours and zones with whole-hour offsets (~25k rows there).
 * - rollups_customer_day: per UTC day and customer (field_10), sums only (no sketches). An hourly table per customer
 *   would hold about one row per record at a thousand customers (no rollup at all) and cost ingest a row write per
 *   record; sketches would make each of its rows ~10 times wider, and a group commit touches hundreds of them.
 * A dimension's value is kept encoded: 'v' and its text, or 'n' for no value (NULL), so that it can be in a key.
 */
export interface RollupTable {
  name: 'rollups_day' | 'rollups_hour' | 'rollups_customer_day';
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
/** The distinct dimension lists of the tables (day and hour share one), and each table's index among them. */
const DIM_SETS = [...new Set(ROLLUP_TABLES.map((t) => t.dims.join(',')))].map((d) => d.split(',') as (keyof RollupSource)[]);
const TABLE_DIM_SET = ROLLUP_TABLES.map((t) => DIM_SETS.findIndex((d) => d.join(',') === t.dims.join(',')));
const TABLE_INDEX = new Map(ROLLUP_TABLES.map((t, i) => [t.name, i]));

/**
 * The changes a set of inserted (sign 1) or deleted (sign -1) records make to every rollup table, added up in JS
 * first, so that a group commit of a thousand records writes each row it touches once. A row is found by its key
 * as one string (org, grain start, the encoded dimension values, joined by NUL), the encoded dimensions worked out
 * once a record for the tables that share them.
 */
export class RollupDelta {
  /** Per table (ROLLUP_TABLES order), the changes by row key. */
  private readonly tables: Map<string, RollupChange>[] = ROLLUP_TABLES.map(() => new Map());
  private readonly values = new Array<number | null>(NULLABLE.length);
  private readonly dimIds = new Array<string>(DIM_SETS.length);
  size = 0;

  add(r: RollupSource, sign: 1 | -1): void {
    this.size++;
    // What the record adds, worked out once for every table.
    const ts = Number(r.ts);
    const org = String(r.org_id);
    const error = r.status === 'error';
    const cost = num(r.field_6);
    const values = this.values;
    for (let i = 0; i < NULLABLE.length; i++) values[i] = num(r[NULLABLE[i].col]);
    const lat = num(r.field_7);
    const ttft = num(r.field_8);
    const latBin = lat === null ? null : binOf(lat);
    const ttftBin = ttft === null ? null : binOf(ttft);
    for (let d = 0; d < DIM_SETS.length; d++) {
      let id = '';
      for (const dim of DIM_SETS[d]) id += `\u0000${encodeKey(r[dim])}`;
      this.dimIds[d] = id;
    }
    for (let ti = 0; ti < ROLLUP_TABLES.length; ti++) {
      const table = ROLLUP_TABLES[ti];
      const t = floorTo(ts, table.grain);
      const dimId = this.dimIds[TABLE_DIM_SET[ti]];
      const id = `${org}\u0000${t}${dimId}`;
      const rows = this.tables[ti];
      let c = rows.get(id);
      if (!c) {
        c = {
          org,
          t,
          keys: table.dims.map((d) => encodeKey(r[d as keyof RollupSource])),
          sums: new Float64Array(SUMS.length),
          lat: new Map(),
          ttft: new Map(),
        };
        rows.set(id, c);
      }
      const s = c.sums;
      s[N] += sign;
      if (error) s[ERRORS] += sign;
      if (cost !== null) {
        s[COSTED] += sign;
        s[COST] += sign * cost;
      }
      for (let i = 0; i < NULLABLE.length; i++) {
        const v = values[i];
        if (v === null) continue;
        s[NULLABLE[i].n] += sign;
        s[NULLABLE[i].sum] += sign * v;
      }
      if (!table.sketches) continue;
      if (latBin !== null) c.lat.set(latBin, (c.lat.get(latBin) ?? 0) + sign);
      if (ttftBin !== null) c.ttft.set(ttftBin, (c.ttft.get(ttftBin) ?? 0) + sign);
    }
  }

  /** The changes of one table, in key order (so that two writers take rows in the same order), as they are kept. */
  changes(table: RollupTable['name']): RollupChange[] {
    const rows = this.tables[TABLE_INDEX.get(table)!];
    const ids = [...rows.keys()].sort();
    const out = new Array<RollupChange>(ids.length);
    for (let i = 0; i < ids.length; i++) out[i] = rows.get(ids[i])!;
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

/** A RollupSource reading an encoded record's values (RECORD_COLUMNS order) without copying them. */
export function sourceOfValues(columnIndex: ReadonlyMap<string, number>): (values: unknown[]) => RollupSource {
  const at = ROLLUP_SOURCE_COLUMNS.map((c) => [c, columnIndex.get(c)!] as const);
  return (values) => {
    const out = {} as Record<string, unknown>;
    for (const [c, i] of at) out[c] = values[i];
    return out as RollupSource;
  };
}
