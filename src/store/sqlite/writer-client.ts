import { Worker } from 'node:worker_threads';
import type { EncodedRecord } from '../encoded-record.ts';
import type { WriteReply } from './writer.ts';

export interface WriterClient {
  /** Resolves once the records are committed (durably) by the writer thread. */
  insert(records: EncodedRecord[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Run from TypeScript (tsx: tests, the bench's A/B of checkouts), the thread starts at writer-entry.mjs, which
 * registers tsx first; compiled (`npm start` runs dist/), straight at the compiled writer.
 */
const WRITER_ENTRY = new URL(import.meta.url.endsWith('.ts') ? './writer-entry.mjs' : './writer.js', import.meta.url);

/** Starts the writer thread on the SQLite file (already created and migrated) and talks to it by message. */
export function startWriter(file: string): WriterClient {
  const waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  let nextId = 0;
  let worker: Worker | null = null;

  const failAll = (err: Error) => {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  const spawn = (): Worker => {
    const w = new Worker(WRITER_ENTRY, { workerData: { file } });
    w.on('message', (reply: WriteReply) => {
      const entry = waiting.get(reply.id);
      waiting.delete(reply.id);
      if (waiting.size === 0) w.unref();
      if (reply.error === undefined) entry?.resolve();
      else entry?.reject(new Error(reply.error));
    });
    w.on('error', (err) => failAll(err));
    w.on('exit', (code) => {
      if (worker === w) worker = null; // an unexpected exit: the next insert starts a new writer
      failAll(new Error(`the SQLite writer thread exited (${code})`));
    });
    w.unref(); // an idle writer does not keep the process alive; a pending insert does (ref below)
    return w;
  };

  worker = spawn(); // at start, so the first create does not pay for the thread's start-up
  return {
    insert(records) {
      if (records.length === 0) return Promise.resolve();
      worker ??= spawn();
      const id = nextId++;
      return new Promise<void>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker!.ref();
        worker!.postMessage({ id, records: records.map(({ values, metadata }) => ({ values, metadata })) }); // not bytes
      });
    },
    async close() {
      const w = worker;
      worker = null;
      if (!w) return;
      const exited = new Promise((resolve) => w.once('exit', resolve));
      w.ref();
      w.postMessage('close');
      await exited;
    },
  };
}
