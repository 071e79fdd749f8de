import type Database from 'better-sqlite3';
import { ROLLUP_SOURCE_COLUMNS, RollupDelta, type RollupSource } from '../rollup/tables.ts';
import { createRollupWriter } from './rollups.ts';

/**
 * When the writer folds the tail into the rollup tables (TALLY_ROLLUP_FOLD_*, docs/configuration.md): once it holds
 * `records` records, once the writer has had nothing to do for `idleMs`, or once its oldest record has waited `maxMs`.
 */
export interface FoldOptions {
  records: number;
  idleMs: number;
  maxMs: number;
}
export const DEFAULT_FOLD: FoldOptions = { records: 20_000, idleMs: 50, maxMs: 2_000 };

/** The columns of a tail record: what a rollup reads, and its seq last. */
export const TAIL_COLUMNS = [...ROLLUP_SOURCE_COLUMNS, 'seq'].join(', ');

/**
 * The rollups of SQLite's records, folded (docs/analytics.md, "Rollups"): the rollup tables hold every record whose
 * seq is at most rollups_state.through_seq; the records after it, the tail, are added up by the writer in memory (a
 * RollupDelta, as inserts and deletions happen inside their transactions) and written into the tables now and then,
 * in one transaction that also moves through_seq to the highest seq. A read adds the tail's records to the rows it
 * reads, in the same snapshot (reader.ts), so answers stay exact at every moment; a crash loses only the memory, and
 * the tail is read again from the records. What it saves: a commit writes no rollup row, and a fold writes each row
 * its records touch once, however many commits they came in (a customer's hour row, rewritten with its growing
 * sketches by every commit that held one of its records, was most of what rollups cost ingest).
 *
 * The memory follows the connection's own state, uncommitted changes included: inserts and deletions add to it in
 * their transactions, and any failure (a transaction or savepoint rolled back) forgets it (invalidate), to be read
 * again from the records when next needed; so does a commit by another connection (check). One per connection
 * (foldOf).
 */
export class RollupFold {
  private delta: RollupDelta | null = null;
  private throughSeq: number | null = null;
  /** performance.now() when the tail's oldest record was added (null: the tail is empty or unknown). */
  since: number | null = null;
  private readonly readThrough: Database.Statement;
  private readonly readTail: Database.Statement;
  private readonly topSeq: Database.Statement;
  private readonly setThrough: Database.Statement;
  private readonly lowerThrough: Database.Statement;
  private readonly write: (delta: RollupDelta) => void;
  private readonly foldNow: Database.Transaction<() => { top: number; folded: number }>;
  private readonly dataVersion: Database.Statement;
  /** PRAGMA data_version when the memory was last checked (it moves only when another connection commits). */
  private version: unknown = null;

  constructor(db: Database.Database) {
    this.readThrough = db.prepare('SELECT through_seq FROM rollups_state').pluck();
    this.readTail = db.prepare(`SELECT ${TAIL_COLUMNS} FROM records WHERE seq > ? ORDER BY seq`);
    this.topSeq = db.prepare('SELECT coalesce(max(seq), 0) FROM records').pluck();
    this.setThrough = db.prepare('UPDATE rollups_state SET through_seq = ?');
    this.lowerThrough = db.prepare(
      'UPDATE rollups_state SET through_seq = coalesce((SELECT max(seq) FROM records), 0) WHERE through_seq > coalesce((SELECT max(seq) FROM records), 0)',
    );
    this.write = createRollupWriter(db);
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
    this.foldNow = db.transaction(() => {
      this.check();
      const delta = this.pending();
      this.write(delta);
      const top = this.topSeq.get() as number;
      this.setThrough.run(top);
      return { top, folded: delta.size };
    });
  }

  /** through_seq: every record with a seq at most this is in the rollup tables, and no record after it. */
  through(): number {
    if (this.throughSeq === null) this.throughSeq = Number(this.readThrough.get() ?? 0);
    return this.throughSeq;
  }

  /**
   * The tail's rollups as the connection sees the records now (read from them when not known). A write calls check()
   * (which calls this) before it changes records, so that a tail read then does not already hold what the write adds
   * or takes.
   */
  pending(): RollupDelta {
    if (this.delta === null) {
      const delta = new RollupDelta();
      // Bounded by the tail: at most what came since the last fold (DEFAULT_FOLD), or what a crash left.
      for (const r of this.readTail.iterate(this.through()) as Iterable<RollupSource>) delta.add(r, 1);
      this.delta = delta;
      this.since = delta.size > 0 ? performance.now() : null;
    }
    return this.delta;
  }

  /**
   * Inside a write's transaction (its lock held), before it changes records or folds: when another connection has
   * committed since the memory was last checked (another process on the same file, `npx tally` beside the server,
   * or an operator), the memory is forgotten and the tail read again, since that connection may have written
   * records, deleted some or folded the tail itself. PRAGMA data_version moves only for other connections' commits.
   */
  check(): void {
    const version = this.dataVersion.get();
    if (version !== this.version) {
      this.invalidate();
      this.version = version;
    }
    this.pending();
  }

  /** Records the tail holds (adds and takes); -1 when not known (read again on the next pending()). */
  size(): number {
    return this.delta?.size ?? -1;
  }

  /** Adds an inserted record to the tail (inside its transaction). */
  inserted(r: RollupSource): void {
    this.pending().add(r, 1);
    if (this.since === null) this.since = performance.now();
  }

  /**
   * A deleted record (inside its transaction): taken out of the tables' rows when it was folded (`folded`, the
   * deletion's own delta, which it writes), else out of the tail.
   */
  deleted(r: RollupSource & { seq: number }, folded: RollupDelta): void {
    if (r.seq <= this.through()) folded.add(r, -1);
    else this.pending().add(r, -1);
  }

  /**
   * After a deletion, inside its transaction: through_seq lowered to the highest seq left when it is above it.
   * SQLite gives a new record the highest seq plus one, so once the top records are deleted a seq at most
   * through_seq could come again, and that record would be taken for folded; with through_seq lowered, it is in
   * the tail. Nothing lies between the two (those records are gone), so what "folded" means is unchanged.
   */
  lower(): void {
    if (this.lowerThrough.run().changes > 0) this.throughSeq = null;
  }

  /** Forgets the memory after a rollback: it is read again from the records when next needed. */
  invalidate(): void {
    this.delta = null;
    this.throughSeq = null;
    this.since = null;
  }

  /** Writes the tail into the tables in a transaction of its own; answers the records folded. Throws on failure. */
  fold(): number {
    let done: { top: number; folded: number };
    try {
      done = this.foldNow.immediate();
    } catch (err) {
      this.invalidate();
      throw err;
    }
    this.delta = new RollupDelta();
    this.throughSeq = done.top;
    this.since = null;
    return done.folded;
  }
}

const folds = new WeakMap<Database.Database, RollupFold>();

/** The connection's RollupFold (made on first use). */
export function foldOf(db: Database.Database): RollupFold {
  let fold = folds.get(db);
  if (!fold) {
    fold = new RollupFold(db);
    folds.set(db, fold);
  }
  return fold;
}
