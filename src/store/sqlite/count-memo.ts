/**
 * Counts of filtered lists, remembered and brought up to date instead of recounted. Records are append-only and one
 * writer at a time gives each new record a seq above every committed one (INTEGER PRIMARY KEY: max + 1, and
 * nothing is deleted), so in any later snapshot the matches are those counted then plus the matches among records
 * with a higher seq. Paging through a filter, or an explorer refreshing it, counts only what arrived in between.
 *
 * Every entry carries the value of records_changes (migration 7), which triggers bump on any DELETE or UPDATE of
 * records (Tally runs neither; a hand-edited file would): when it moved, the entry is dropped and the list is
 * counted again.
 */
export interface CountMemo {
  /**
   * The count for key in the current snapshot: `top` is its highest seq and `changes` its records_changes value;
   * `full()` counts everything, `after(seq)` counts the matches above seq. Both run in the caller's snapshot.
   */
  count(key: string, top: number, changes: number, full: () => number, after: (seq: number) => number): number;
}

interface Entry {
  count: number;
  top: number;
  changes: number;
}

export function createCountMemo(capacity = 256): CountMemo {
  const entries = new Map<string, Entry>();
  return {
    count(key, top, changes, full, after) {
      const known = entries.get(key);
      if (known) entries.delete(key); // re-inserted below: Map order is recency order
      let count: number;
      if (known && known.changes === changes && known.top <= top) count = known.count + (known.top === top ? 0 : after(known.top));
      else count = full();
      if (!known && entries.size >= capacity) entries.delete(entries.keys().next().value!);
      entries.set(key, { count, top, changes });
      return count;
    },
  };
}
