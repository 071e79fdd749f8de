import type Database from 'better-sqlite3';

/** Prepared statements by SQL text, least recently used dropped first: list queries repeat their shapes. */
export function statementCache(db: Database.Database, capacity = 200): (sql: string) => Database.Statement {
  const cache = new Map<string, Database.Statement>();
  return (sql) => {
    let stmt = cache.get(sql);
    if (stmt) {
      cache.delete(sql); // re-inserted below: Map order is recency order
    } else {
      stmt = db.prepare(sql);
      if (cache.size >= capacity) cache.delete(cache.keys().next().value!);
    }
    cache.set(sql, stmt);
    return stmt;
  };
}
