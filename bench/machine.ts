import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The latency of one durable SQLite commit (WAL, synchronous=FULL, one tiny row) on this disk: the floor
 * under every group commit. With C connections each waiting for a commit, durable ingest cannot exceed about
 * C / (1.5 × this) per second (a request waits on average for half the commit in flight, then its own).
 */
function durableCommitMs(): { p50: number; p90: number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-fsync-'));
  try {
    const db = new Database(path.join(dir, 'probe.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (a)');
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      insert.run(i);
      times.push(performance.now() - t);
    }
    db.close();
    times.sort((a, b) => a - b);
    const at = (q: number) => Math.round(times[Math.floor(q * (times.length - 1))] * 100) / 100;
    return { p50: at(0.5), p90: at(0.9) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The facts a reader needs to judge the numbers. */
export function machineInfo(): Record<string, unknown> {
  const db = new Database(':memory:');
  const sqlite = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  db.close();
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    node: process.version,
    sqlite,
    platform: `${os.type()} ${os.release()}`,
    durableCommitMs: durableCommitMs(),
  };
}
