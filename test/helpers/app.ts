import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createApp, type TallyApp } from '../../src/app.ts';
import { ensureInitialKey } from '../../src/bootstrap.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createStore } from '../../src/store/factory.ts';
import type { Store } from '../../src/store/types.ts';
import { within } from './http.ts';
import { storeEnv, type StoreKind } from './stores.ts';

export const TEST_KEY = 'test-key-0123456789abcdef';
export const TEST_ORG = 'org_test';

export interface TestApp {
  app: TallyApp;
  store: Store;
  key: string;
  logs: string[];
  dataDir: string;
  /** The PostgreSQL URL (its search_path selects this app's schema), or null on SQLite. */
  databaseUrl: string | null;
  /** Sends a request through the real app in memory, with the test key unless auth is given; fails after 60 s without a reply. */
  request(
    method: string,
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  /** Creates a record and asserts the 201; returns the record. */
  create(body: unknown): Promise<any>;
  /** Stores body(0) … body(n - 1) through the batch endpoint, 1,000 at a time, and fails on any answer but 201. */
  createMany(n: number, body: (i: number) => unknown): Promise<void>;
  /**
   * Waits until the write queue has committed every record it accepted (the 202s), and fails when that takes
   * longer than ms (default 10 s) rather than waiting for ever.
   */
  drain(ms?: number): Promise<void>;
  close(): Promise<void>;
}

export function tempDir(prefix = 'tally-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A real app on a real store (a fresh SQLite file, or a fresh PostgreSQL schema), with one org and key. */
export async function startTestApp(kind: StoreKind = 'sqlite', env: Record<string, string> = {}): Promise<TestApp> {
  // A data directory the caller names is the caller's (a test that opens it again): close() leaves it.
  const own = env.TALLY_DATA_DIR === undefined;
  const dataDir = env.TALLY_DATA_DIR ?? tempDir();
  const config = loadConfig({
    TALLY_DATA_DIR: dataDir,
    TALLY_INIT_ORG_ID: TEST_ORG,
    TALLY_INIT_API_KEY: TEST_KEY,
    ...(await storeEnv(kind)),
    ...env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const logger = createLogger(config.logLevel, sink);
  const store = await createStore(config, logger);
  await ensureInitialKey(config, store);
  const app = await createApp(config, { store, logger });
  const testApp: TestApp = {
    app,
    store,
    key: TEST_KEY,
    logs,
    dataDir,
    databaseUrl: config.databaseUrl,
    async request(method, url, body, headers = {}) {
      const injected = app.http.inject({
        method: method as 'GET',
        url,
        headers: { authorization: `Bearer ${TEST_KEY}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const res = await within(injected, 60_000, `${method} ${url.slice(0, 100)} to be answered`);
      let parsed: unknown = res.body;
      try {
        parsed = JSON.parse(res.body);
      } catch {
        /* not JSON: keep the text */
      }
      return { status: res.statusCode, body: parsed, headers: res.headers };
    },
    async create(body) {
      const res = await testApp.request('POST', '/api/records/create/', body);
      if (res.status !== 201) throw new Error(`create answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async createMany(n, body) {
      for (let from = 0; from < n; from += 1000) {
        const records = Array.from({ length: Math.min(1000, n - from) }, (_, k) => body(from + k));
        const res = await testApp.request('POST', '/api/records/batch/', { records });
        if (res.status !== 201) throw new Error(`batch answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
      }
    },
    drain: (ms = 10_000) => within(app.queue.drain(), ms, 'the write queue to commit what it accepted'),
    async close() {
      await app.close();
      if (own) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return testApp;
}
