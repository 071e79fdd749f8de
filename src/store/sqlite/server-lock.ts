import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';

/** The file whose lock says which server owns a data directory, and the file beside it naming that server's pid. */
export const LOCK_FILE = 'server.lock';
const PID_FILE = 'server.pid';

/** Another server owns the data directory. */
export class DataDirInUse extends Error {}

/**
 * Takes the data directory for this server process (shared/docs/lifecycle.md, "Several processes": on SQLite one
 * server owns a data directory, a second refuses to start). The lock is SQLite's own on a file of its own (an
 * EXCLUSIVE transaction left open): the system drops it when the process ends, however it ends (a SIGKILL included),
 * so no stale lock outlives a crash. Only the server takes it; the CLI's commands work beside it (they open the
 * records' file, not this one). Throws DataDirInUse at once, naming the owner's pid when it wrote one.
 */
export function lockDataDir(dataDir: string): { release(): void } {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, LOCK_FILE);
  const db = new Database(file, { timeout: 0 });
  try {
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
    const pid = readPid(path.join(dataDir, PID_FILE));
    throw new DataDirInUse(
      `another Tally server${pid ? ` (pid ${pid})` : ''} is running on this data directory; one server owns a SQLite data ` +
        'directory (stop it first, or run several servers on PostgreSQL with TALLY_DATABASE_URL)',
    );
  }
  fs.writeFileSync(path.join(dataDir, PID_FILE), `${process.pid}\n`);
  held.add(db); // referenced until released, so that nothing closes it early
  return {
    release() {
      if (!held.delete(db)) return;
      db.close(); // the transaction is rolled back and the lock dropped
    },
  };
}

const held = new Set<Database.Database>();

function readPid(file: string): string | null {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    return /^\d{1,10}$/.test(text) ? text : null;
  } catch {
    return null;
  }
}
