import type Database from 'better-sqlite3';

/**
 * The per-value metadata counts of one insert transaction (meta_value_counts, migrations 4 and 5), added up in
 * memory so that a transaction writes each distinct (org, key, type, value) once instead of once per record. Nested
 * maps, not joined strings, so no org, key or value can collide with another; numbers are map keys as numbers,
 * so 1 and 1.0 (one JSON value, one SQLite key) are one entry.
 */
export class MetaCounts {
  private readonly byOrg = new Map<string, Map<string, Map<string, Map<unknown, number>>>>();

  add(org: string, k: string, t: string, v: unknown, n = 1): void {
    const keys = entry(this.byOrg, org, () => new Map());
    const values = entry(
      entry(keys, k, () => new Map()),
      t,
      () => new Map<unknown, number>(),
    );
    values.set(v, (values.get(v) ?? 0) + n);
  }

  *entries(): Generator<[org: string, k: string, t: string, v: unknown, n: number]> {
    for (const [org, keys] of this.byOrg)
      for (const [k, types] of keys) for (const [t, values] of types) for (const [v, n] of values) yield [org, k, t, v, n];
  }
}

/**
 * Adds one transaction's counts, after its record_meta rows and inside the same transaction. A counter row is
 * kept only for a value that two records or more hold: a key unique per record (a request id) would otherwise
 * add a row per record to a second index, at a random place (docs/performance.md, "What the indexes cost").
 * What stays true, and what the count relies on (list-sql.ts): where a row exists, n is exactly the number of
 * record_meta rows of its (org, key, type, value); where none exists, there is at most one such row, which the
 * count then reads from record_meta itself.
 * - A row that existed before the transaction gets its entry's n added (an UPDATE, run for every entry before
 *   any row is created, so no entry adds to a row this transaction created).
 * - Otherwise the value had at most one record_meta row before; the row is created from a count of them all (now
 *   including this transaction's: at most 1 + the batch), only when that reaches 2. DO NOTHING if the row exists
 *   by then: two entries JavaScript tells apart but SQLite compares equal are both in the first one's count.
 */
export function metaCountWriter(db: Database.Database): (counts: MetaCounts) => void {
  const bump = db.prepare('UPDATE meta_value_counts SET n = n + ? WHERE org_id = ? AND k = ? AND t = ? AND v = ?');
  const create = db.prepare(
    `INSERT INTO meta_value_counts (org_id, k, t, v, n)
     SELECT org_id, k, t, v, count(*) FROM record_meta WHERE org_id = ? AND k = ? AND t = ? AND v = ? HAVING count(*) >= 2
     ON CONFLICT (org_id, k, t, v) DO NOTHING`,
  );
  return (counts) => {
    const missed: [string, string, string, unknown][] = [];
    for (const [org, k, t, v, n] of counts.entries()) if (bump.run(n, org, k, t, v).changes === 0) missed.push([org, k, t, v]);
    for (const m of missed) create.run(...m);
  };
}

/** The map's entry for key, made by make and added when missing. */
function entry<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  const known = map.get(key);
  if (known !== undefined) return known;
  const made = make();
  map.set(key, made);
  return made;
}
