/**
 * The percentile sketch of rollups (docs/analytics.md): DDSketch-style logarithmic bins. A value v > 0 falls in bin
 * i = ceil(log_γ v), which holds (γ^(i-1), γ^i]; 0 has a bin of its own. A bin answers 2γ^i / (γ + 1), within
 * α = (γ - 1) / (γ + 1) of every value it holds, so a percentile read as "the bin holding rank ceil(q·n)" is within α
 * of percentile_disc. Bins are counts: two sketches merge by adding them, and a deleted value is taken out by
 * subtracting its bin's count, which is what lets rollups take deletions.
 *
 * Stored as pairs (bin, count) in bin order: an Int32Array of [bin0, count0, bin1, count1, ...] (SQLite keeps its
 * bytes, PostgreSQL the same pairs as an int4[]'s text since its migration 16, a jsonb object {"bin": count} before).
 */

/** The relative accuracy: half the 1% the contract allows, so that float rounding at a bin's edge stays inside it. */
export const SKETCH_ALPHA = 0.005;
export const GAMMA = (1 + SKETCH_ALPHA) / (1 - SKETCH_ALPHA);
export const LN_GAMMA = Math.log(GAMMA);
/** The bin of 0 (values are never negative: the registry's minimum is 0). */
export const ZERO_BIN = -2147483648;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The bin of a value. */
export function binOf(v: number): number {
  return v <= 0 ? ZERO_BIN : Math.ceil(Math.log(v) / LN_GAMMA);
}

/** The value a bin answers. */
export function binValue(bin: number): number {
  return bin === ZERO_BIN ? 0 : (2 * GAMMA ** bin) / (GAMMA + 1);
}

/** Pairs (bin, count) in bin order, without zero counts. */
export type SketchPairs = Int32Array;

const EMPTY = new Int32Array(0);

/** A sketch's pairs from a map of bin counts (zero counts left out). */
export function pairsOf(bins: Map<number, number>): SketchPairs {
  if (bins.size <= 1) {
    // Most rows a commit writes to the hourly customer table hold one record: one bin, no sort.
    for (const [bin, count] of bins) if (count !== 0) return Int32Array.of(bin, count);
    return EMPTY;
  }
  const keys = [...bins.keys()].filter((b) => bins.get(b) !== 0).sort((a, b) => a - b);
  const out = new Int32Array(keys.length * 2);
  keys.forEach((b, i) => {
    out[2 * i] = b;
    out[2 * i + 1] = bins.get(b)!;
  });
  return out;
}

/** a + b, bin by bin; bins whose counts cancel are dropped. The result may be a view of a larger array (no copy). */
export function addPairs(a: SketchPairs, b: SketchPairs): SketchPairs {
  const out = new Int32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length || j < b.length) {
    let bin: number;
    let count: number;
    if (j >= b.length || (i < a.length && a[i] < b[j])) {
      bin = a[i];
      count = a[i + 1];
      i += 2;
    } else if (i >= a.length || b[j] < a[i]) {
      bin = b[j];
      count = b[j + 1];
      j += 2;
    } else {
      bin = a[i];
      count = a[i + 1] + b[j + 1];
      i += 2;
      j += 2;
    }
    if (count === 0) continue;
    out[k++] = bin;
    out[k++] = count;
  }
  return out.subarray(0, k);
}

/** SQLite's bytes of a sketch (little-endian int32 pairs); null for an empty one. */
export function sketchBytes(p: SketchPairs): Buffer | null {
  if (p.length === 0) return null;
  if (LITTLE_ENDIAN) return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  const b = Buffer.alloc(p.length * 4);
  for (let i = 0; i < p.length; i++) b.writeInt32LE(p[i], i * 4);
  return b;
}

/** The pairs of SQLite's bytes (null: empty): a view of them when they are aligned, as a read needs no copy. */
export function bytesSketch(b: Uint8Array | null | undefined): SketchPairs {
  if (!b || b.length === 0) return new Int32Array(0);
  if (LITTLE_ENDIAN && b.byteOffset % 4 === 0) return new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Int32Array(b.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt32(i * 4, true);
  return out;
}

/**
 * The pairs of PostgreSQL's sketch (migration 16), the text of an int4[] `{bin,count,bin,count,...}` (null: empty),
 * read in one pass of its characters. PostgreSQL keeps it as that text so that a read sends it as it is: turning
 * jsonb (migration 12's) or an int4[] into text was most of PostgreSQL's time in a read of a month's day sketches,
 * and JSON.parse of the jsonb (a string key per bin) most of Node's.
 */
export function pairsTextSketch(text: string | null | undefined): SketchPairs {
  if (!text || text.length <= 2) return new Int32Array(0);
  // At least two characters per element ("1,"): the text's length bounds the count.
  const out = new Int32Array(text.length >> 1);
  let k = 0;
  let v = 0;
  let negative = false;
  for (let i = 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 44 || c === 125) {
      // ',' or '}': an element ends.
      out[k++] = negative ? -v : v;
      v = 0;
      negative = false;
    } else if (c === 45) negative = true;
    else v = v * 10 + (c - 48);
  }
  return out.subarray(0, k);
}

/** Sketches a SketchSum keeps as added (views, no copy) before it adds them up into dense counts. */
const PENDING = 4;
/** Past this many pairs in all, the pending sketches are added into dense counts before a percentile is read. */
const WALK_PAIRS = 256;

/**
 * Sketches merged for reading. The first few added are kept as they are and a percentile walks them together in bin
 * order (most groups of a read add up one to four rows: an hour or a day of a model, ok and error); past PENDING they
 * are added into counts in a dense array over the bins seen (grown as needed), 0 kept apart. Allocating that array for
 * each of a read's ~700 groups was most of the garbage a read left.
 */
export class SketchSum {
  private counts = new Float64Array(0);
  private low = 0;
  private zero = 0;
  private pending: SketchPairs[] | null = [];
  n = 0;

  add(p: SketchPairs): void {
    if (p.length === 0) return;
    for (let i = 1; i < p.length; i += 2) this.n += p[i];
    if (this.pending !== null && this.pending.length < PENDING) this.pending.push(p);
    else {
      this.dense();
      this.addCounts(p);
    }
  }

  /** Adds the pending sketches into the dense counts, and every later one there too. */
  private dense(): void {
    if (this.pending === null) return;
    const pending = this.pending;
    this.pending = null;
    for (const p of pending) this.addCounts(p);
  }

  private addCounts(p: SketchPairs): void {
    // The bins' range first, so that the counts grow at most once per sketch added (growing bin by bin allocated
    // a few arrays per group, most of a month's day read in Node with the garbage they left).
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < p.length; i += 2) {
      const bin = p[i];
      if (bin === ZERO_BIN) continue;
      if (bin < lo) lo = bin;
      if (bin > hi) hi = bin;
    }
    if (lo <= hi) this.cover(lo, hi);
    const counts = this.counts;
    const low = this.low;
    for (let i = 0; i < p.length; i += 2) {
      const bin = p[i];
      const c = p[i + 1];
      if (bin === ZERO_BIN) this.zero += c;
      else counts[bin - low] += c;
    }
  }

  /** Makes the counts hold bins lo..hi (and those they held), with room to spare on both sides. */
  private cover(lo: number, hi: number): void {
    const length = this.counts.length;
    if (length > 0 && lo >= this.low && hi < this.low + length) return;
    const from = length === 0 ? lo : Math.min(this.low, lo);
    const to = length === 0 ? hi + 1 : Math.max(this.low + length, hi + 1);
    const size = Math.max(64, (to - from) * 2);
    const newLow = from - ((size - (to - from)) >> 1);
    const next = new Float64Array(size);
    if (length > 0) next.set(this.counts, this.low - newLow);
    this.counts = next;
    this.low = newLow;
  }

  merge(other: SketchSum): void {
    other.dense();
    this.dense();
    this.zero += other.zero;
    this.n += other.n;
    if (other.counts.length === 0) return;
    this.cover(other.low, other.low + other.counts.length - 1);
    for (let i = 0; i < other.counts.length; i++) {
      const c = other.counts[i];
      if (c !== 0) this.counts[other.low + i - this.low] += c;
    }
  }

  /** percentile_disc(q): the value of the bin holding rank ceil(q·n); null without values. */
  quantile(q: number): number | null {
    if (this.n <= 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.n));
    if (this.pending !== null) {
      // A walk of a few short sketches costs less than their dense counts; of long ones (a day's), more.
      let length = 0;
      for (const p of this.pending) length += p.length;
      if (length <= WALK_PAIRS * 2) return walkPending(this.pending, rank);
      this.dense();
    }
    let seen = this.zero;
    if (seen >= rank) return 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= rank) return binValue(this.low + i);
    }
    return binValue(this.low + this.counts.length - 1);
  }
}

/** The value of the bin holding `rank` in a few sketches' pairs together: their bins in order, equal bins added. */
function walkPending(sketches: SketchPairs[], rank: number): number {
  const at = new Int32Array(sketches.length);
  let seen = 0;
  let last = ZERO_BIN;
  for (;;) {
    let bin = Number.POSITIVE_INFINITY;
    for (let k = 0; k < sketches.length; k++) if (at[k] < sketches[k].length && sketches[k][at[k]] < bin) bin = sketches[k][at[k]];
    if (bin === Number.POSITIVE_INFINITY) return binValue(last); // counts short of n: not for sketches a store kept
    last = bin;
    for (let k = 0; k < sketches.length; k++)
      if (at[k] < sketches[k].length && sketches[k][at[k]] === bin) {
        seen += sketches[k][at[k] + 1];
        at[k] += 2;
      }
    if (seen >= rank) return binValue(bin);
  }
}
