import Database from 'better-sqlite3';
import os from 'node:os';

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
  };
}
