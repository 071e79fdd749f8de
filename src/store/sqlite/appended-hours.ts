import type Database from 'better-sqlite3';
import type { RollupTable } from '../rollup/tables.ts';

/**
 * The rollup tables whose rows are appended rather than upserted (migration 20), under the key (org_id, t, k) with k
 * counted up by the writer (appendKeys): a key of dimensions may have several rows, which reads add up and compaction
 * (rollup-compact.ts) folds together. rollups_customer_hour holds nearly a row per record at a thousand customers and
 * twenty models, where an upsert by key dirtied a page of the hour's rows per row written.
 */
export const APPENDED: ReadonlySet<RollupTable['name']> = new Set(['rollups_customer_hour']);

/** Rows appended to an hour before it is worth a look, at first; doubled after each look that folded little. */
export const COMPACT_AFTER = 512;
/** The most rows appended to an hour before it is looked at, however little looks folded. */
const COMPACT_AFTER_MAX = 1 << 20;
/** The most hours tracked; past it the longest tracked is forgotten (its rows stay as they are, still exact). */
export const TRACKED_HOURS = 4096;

/** An hour of an org that rows were appended to: how many since it was last looked at, and how many make it due. */
export interface AppendedHour {
  org: string;
  t: number;
  appended: number;
  due: number;
}

/**
 * The hours of an appended table that rows went to since the writer started, and which of them are due for
 * compaction. Kept in memory by the writer thread (hours appended to before a restart are compacted once rows go to
 * them again, or by "tally rollups rebuild"); bounded by TRACKED_HOURS.
 */
export class AppendedHours {
  private readonly hours = new Map<string, AppendedHour>();
  private readonly due = new Set<AppendedHour>();

  note(org: string, t: number): void {
    const k = `${org}\u0000${t}`;
    let h = this.hours.get(k);
    if (!h) {
      if (this.hours.size >= TRACKED_HOURS) this.forget(this.hours.keys().next().value as string);
      h = { org, t, appended: 0, due: COMPACT_AFTER };
      this.hours.set(k, h);
    }
    if (++h.appended >= h.due) this.due.add(h);
  }

  /** An hour due for compaction, or null. */
  next(): AppendedHour | null {
    for (const h of this.due) return h;
    return null;
  }

  /**
   * What a look at the hour found: `read` rows folded into `kept`; `all` when they were every row it had. An hour
   * whose look folded less than half waits twice as long for the next; one with rows left is looked at again.
   */
  looked(h: AppendedHour, read: number, kept: number, all: boolean): void {
    if (kept * 2 > read) {
      h.due = Math.min(h.due * 2, COMPACT_AFTER_MAX);
      h.appended = 0;
    } else if (all) h.appended = 0;
    // else: it folded well and has rows the look did not reach: it stays due.
    if (h.appended < h.due) this.due.delete(h);
  }

  private forget(k: string): void {
    const h = this.hours.get(k);
    if (h) this.due.delete(h);
    this.hours.delete(k);
  }
}

const byDb = new WeakMap<Database.Database, AppendedHours>();
/** The connection's AppendedHours (the writer's: every rollup writer on it notes its appends there). */
export function appendedHours(db: Database.Database): AppendedHours {
  let hours = byDb.get(db);
  if (!hours) {
    hours = new AppendedHours();
    byDb.set(db, hours);
  }
  return hours;
}

/** The k of appended rows: counted up from rollups_state.next_k, which each take moves on in the open transaction. */
export interface AppendKeys {
  /** The first of `count` new keys (the next `count` numbers are the caller's). */
  take(count: number): number;
}

const keysByDb = new WeakMap<Database.Database, AppendKeys>();
/**
 * The connection's AppendKeys (the writer's; one per connection, shared by its rollup writers). A transaction rolled
 * back leaves a gap in the numbers (the count in memory has moved on), never a number used twice.
 */
export function appendKeys(db: Database.Database): AppendKeys {
  let keys = keysByDb.get(db);
  if (!keys) {
    const read = db.prepare('SELECT next_k FROM rollups_state').pluck();
    const write = db.prepare('UPDATE rollups_state SET next_k = ?');
    let next: number | null = null;
    keys = {
      take(count) {
        next ??= Number(read.get() ?? 1);
        const first = next;
        next += count;
        write.run(next);
        return first;
      },
    };
    keysByDb.set(db, keys);
  }
  return keys;
}
