/**
 * The per-value metadata counts of one insert transaction (migration 4's meta_value_counts), added up in memory
 * so that a transaction upserts each distinct (org, key, type, value) once instead of once per record. Nested
 * maps, not joined strings, so no org, key or value can collide with another; numbers are map keys as numbers,
 * so 1 and 1.0 (one JSON value, one SQLite key) are one entry.
 */
export class MetaCounts {
  private readonly byOrg = new Map<string, Map<string, Map<string, Map<unknown, number>>>>();

  add(org: string, k: string, t: string, v: unknown): void {
    let keys = this.byOrg.get(org);
    if (!keys) this.byOrg.set(org, (keys = new Map()));
    let types = keys.get(k);
    if (!types) keys.set(k, (types = new Map()));
    let values = types.get(t);
    if (!values) types.set(t, (values = new Map()));
    values.set(v, (values.get(v) ?? 0) + 1);
  }

  *entries(): Generator<[org: string, k: string, t: string, v: unknown, n: number]> {
    for (const [org, keys] of this.byOrg) for (const [k, types] of keys) for (const [t, values] of types) for (const [v, n] of values) yield [org, k, t, v, n];
  }
}

export const ADD_META_COUNT_SQL = 'INSERT INTO meta_value_counts (org_id, k, t, v, n) VALUES (?, ?, ?, ?, ?) ON CONFLICT (org_id, k, t, v) DO UPDATE SET n = n + excluded.n';
