import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteCheckpointer } from './open.ts';

/**
 * The checkpointer thread: every `everyMs` it copies the pages that commits appended to the WAL back into the
 * database file (a PASSIVE checkpoint: it waits for no reader or writer), and syncs the file, so that the copy
 * does not run inside a commit with every create waiting on it. The writer still checkpoints past a larger size
 * (openSqliteWriter): cheaply, as this thread has copied most of the pages, and so that the WAL starts over.
 */
const { file, everyMs } = workerData as { file: string; everyMs: number };
const db = openSqliteCheckpointer(file);

const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // The file is busy or going away: the writer's own checkpoint is the backstop, and the next turn tries again.
  }
}, everyMs);

parentPort!.on('message', (msg: 'close') => {
  if (msg === 'close') {
    clearInterval(timer);
    db.close();
    process.exit(0);
  }
});
