import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { registerFunctions, type ReadDeadline } from './functions.ts';
import { SQLITE_MIGRATIONS } from './migrations.ts';

/**
 * Opens (creating when needed) the SQLite file with the settings Tally's guarantees rest on: WAL with
 * synchronous=FULL so a commit is on disk before a 201, and the functions the filters need.
 */
export function openSqlite(file: string): Database.Database {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = openDurable(file);
  // Lists and summaries read on the reader threads' connections (openSqliteReader); this one looks up records by id
  // and API keys, a few pages each.
  db.pragma('cache_size = -16384');
  db.pragma('temp_store = MEMORY');
  registerFunctions(db);
  migrate(db);
  // Table statistics let the planner pick a selective index (e.g. field_10) over the one that matches the
  // ORDER BY. Bounded (analysis_limit) so opening a large file stays fast; re-run only when stats are stale.
  db.pragma('analysis_limit = 400');
  db.pragma('optimize = 0x10002');
  return db;
}

/**
 * A reader thread's connection (reader.ts) to a file openSqlite has already created, migrated and analysed: the
 * filters' functions, checking `deadline`; a page cache of up to 64 MB for the list and summary scans (an export's
 * connection: EXPORT_CACHE_KIB); and query_only, since nothing here writes.
 */
export function openSqliteReader(file: string, deadline: ReadDeadline, cacheKiB = 65536): Database.Database {
  const db = openDurable(file);
  db.pragma(`cache_size = -${cacheKiB}`);
  db.pragma('temp_store = MEMORY');
  db.pragma('query_only = 1');
  registerFunctions(db, deadline);
  return db;
}

/**
 * The page cache of a reader thread's export connection: an export reads each of its records once, in id order, so a
 * cache does nothing for it but hold memory (a 64 MB cache filled by a first export was most of its RSS growth).
 */
export const EXPORT_CACHE_KIB = 2048;

/** The connection settings every connection shares: WAL, a commit on disk before it returns, a busy wait. */
function openDurable(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  return db;
}

/**
 * The writer thread's connection to a file openSqlite has already created and migrated: only inserts run
 * on it, so it needs neither the filter functions nor the planner statistics, and a small page cache does
 * (inserts touch only the right edge of each index).
 */
export function openSqliteWriter(file: string): Database.Database {
  const db = openDurable(file);
  db.pragma('cache_size = -16384');
  // The checkpointer thread copies the WAL into the file as it grows; the writer checkpoints only past 4,000 pages
  // (16 MB, SQLite's default is 1,000), which finds most pages copied and lets the WAL start over.
  db.pragma(`wal_autocheckpoint = ${WRITER_AUTOCHECKPOINT_PAGES}`);
  return db;
}

export const WRITER_AUTOCHECKPOINT_PAGES = 4000;

/** The checkpointer thread's connection: it only checkpoints, and never checkpoints on its own. */
export function openSqliteCheckpointer(file: string): Database.Database {
  const db = openDurable(file);
  db.pragma('wal_autocheckpoint = 0');
  return db;
}

/** Applies pending migrations, each in its own transaction; a failure throws and the server exits non-zero. */
function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  for (const m of SQLITE_MIGRATIONS) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
    }).immediate();
  }
}
