import Database from 'better-sqlite3';
import path from 'node:path';
import type { TestApp } from './app.ts';
import { withClient } from './stores.ts';

/**
 * Runs SQL on a test app's database from outside Tally, as an operator (or a damaged database) would: on its own
 * connection to the SQLite file, or to the app's PostgreSQL schema. Returns the rows of the last statement.
 */
export async function sqlOnStore(
  t: TestApp,
  sql: { sqlite: string; postgres: string },
  query?: string,
): Promise<Record<string, unknown>[]> {
  if (t.databaseUrl === null) {
    const db = new Database(path.join(t.dataDir, 'tally.db'));
    try {
      db.pragma('busy_timeout = 5000');
      if (sql.sqlite) db.exec(sql.sqlite);
      return query ? (db.prepare(query).all() as Record<string, unknown>[]) : [];
    } finally {
      db.close();
    }
  }
  return withClient(t.databaseUrl, async (c) => {
    if (sql.postgres) await c.query(sql.postgres);
    return query ? (await c.query(query)).rows : [];
  });
}

/** A trigger that makes the store refuse every record whose field_10 is 'poison', as a record no store can hold. */
export const POISON_TRIGGER = {
  sqlite:
    "CREATE TRIGGER poison BEFORE INSERT ON records WHEN NEW.field_10 = 'poison' BEGIN SELECT RAISE(ABORT, 'this record is poisoned'); END;",
  postgres: `CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.field_10 = 'poison' THEN RAISE EXCEPTION 'this record is poisoned'; END IF; RETURN NEW; END $$;
             CREATE TRIGGER poison BEFORE INSERT ON records FOR EACH ROW EXECUTE FUNCTION poison();`,
};
