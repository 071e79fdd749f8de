/**
 * Counts of filtered lists, remembered and brought up to date instead of recounted. Records are append-only and one
 * writer at a time gives each new record a seq above every committed one (INTEGER PRIMARY KEY: max + 1, and
 * nothing is deleted), so in any later snapshot the matches are those counted then plus the matches among records
 * with a higher seq. Paging through a filter, or an explorer refreshing it, counts only what arrived in between.
 *
 * Every entry carries the value of records_changes (migration 7), which triggers bump on any DELETE or UPDATE of
 * records (Tally runs neither; a hand-edited file would): when it moved, the entry is dropped and the list is
 * counted again.
 *
 * The counts are taken by reader threads (reader.ts), each in its own snapshot, and remembered on the main thread
 * (CountMemo), so that whichever reader runs the next identical list finds them: a list carries the entry known
 * for its filter to the reader, and brings back the entry to remember.
 */
export interface MemoEntry {
  count: number;
  /** The highest seq of the snapshot the count was taken in. */
  top: number;
  /** records_changes in that snapshot. */
  changes: number;
}

/**
 * The count in the current snapshot (highest seq `top`, records_changes `changes`) from a remembered entry, or in
 * full: `full()` counts everything, `after(seq)` counts the matches above seq, both in the caller's snapshot. An
 * entry from a later snapshot than this one (another reader counted after this read began) is of no use here.
 */
export function countFrom(
  known: MemoEntry | null,
  top: number,
  changes: number,
  full: () => number,
  after: (seq: number) => number,
): MemoEntry {
  if (known && known.changes === changes && known.top <= top)
    return { count: known.count + (known.top === top ? 0 : after(known.top)), top, changes };
  return { count: full(), top, changes };
}

/** The remembered entries by key (a list's org, start time and filters), least recently used dropped first. */
export interface CountMemo {
  get(key: string): MemoEntry | null;
  set(key: string, entry: MemoEntry): void;
}

export function createCountMemo(capacity = 256): CountMemo {
  const entries = new Map<string, MemoEntry>();
  return {
    get(key) {
      const known = entries.get(key);
      if (!known) return null;
      entries.delete(key); // re-inserted: Map order is recency order
      entries.set(key, known);
      return known;
    },
    set(key, entry) {
      const known = entries.get(key);
      // Two readers may count the same list at once; keep the later snapshot's.
      if (known && known.changes === entry.changes && known.top > entry.top) return;
      entries.delete(key);
      if (entries.size >= capacity) entries.delete(entries.keys().next().value!);
      entries.set(key, entry);
    },
  };
}
