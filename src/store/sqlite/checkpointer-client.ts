import { Worker } from 'node:worker_threads';

/** Run from TypeScript, the thread starts at checkpointer-entry.mjs, which registers tsx first (as the writer's does). */
const ENTRY = new URL(import.meta.url.endsWith('.ts') ? './checkpointer-entry.mjs' : './checkpointer.js', import.meta.url);

/** How often the checkpointer thread copies the WAL into the database file. */
export const CHECKPOINT_EVERY_MS = 100;

export interface Checkpointer {
  close(): Promise<void>;
}

/**
 * Starts the checkpointer thread (checkpointer.ts) on a SQLite file that is already created and migrated. It
 * keeps nobody waiting: it never holds the process open, and if it stops, the writer checkpoints as before.
 */
export function startCheckpointer(file: string, onError: (err: Error) => void = () => {}, everyMs = CHECKPOINT_EVERY_MS): Checkpointer {
  const worker = new Worker(ENTRY, { workerData: { file, everyMs } });
  worker.unref();
  worker.on('error', onError); // the writer's own checkpoints go on without it
  return {
    async close() {
      if (worker.threadId < 0) return; // already exited
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.ref(); // held open until it has closed its connection
      worker.postMessage('close');
      await exited;
    },
  };
}
