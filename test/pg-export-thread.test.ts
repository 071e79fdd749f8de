import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import pino from 'pino';
import { resolveTarget } from '../src/query/filters.ts';
import { PAGE_TEXT_BYTES } from '../src/store/postgres/export-sink.ts';
import { startExportThread, type ExportThread } from '../src/store/postgres/export-thread.ts';
import type { ListQuery } from '../src/store/types.ts';
import { startTestApp, TEST_KEY, TEST_ORG, type TestApp } from './helpers/app.ts';
import { listen } from './helpers/listen.ts';
import { POSTGRES_AVAILABLE } from './helpers/stores.ts';

/**
 * PostgreSQL's export thread (store/postgres/export-thread.ts): export pages read and made into text on a worker
 * thread with its own connection. What it must do when things go wrong: a page past the read budget is
 * query_timeout, a thread that dies fails its page instead of hanging it and the next page starts another, a lost
 * connection cuts the client's stream and the next export works, and closing the store ends the thread.
 */
const quiet = pino({ level: 'silent' });
const PAGE: ListQuery = {
  conditions: [],
  since: null,
  sort: { field: 'id', column: 'id', descending: false },
  offset: 0,
  limit: 50,
  count: false,
  text: 'jsonl',
};

describe('PostgreSQL export thread', { skip: !POSTGRES_AVAILABLE && 'PostgreSQL is not reachable' }, () => {
  let t: TestApp;
  const threads: ExportThread[] = [];
  const thread = (budgetMs = 5000) => {
    const started = startExportThread({ url: t.databaseUrl!, budgetMs, largestRecordBytes: 5 * 1024 * 1024, log: quiet });
    threads.push(started);
    return started;
  };
  /** Holds an exclusive lock on records (a page's SELECT waits for it) until the returned release is called. */
  const lockRecords = async () => {
    const client = new pg.Client({ connectionString: t.databaseUrl!, connectionTimeoutMillis: 5000 });
    client.on('error', () => {});
    await client.connect();
    await client.query('BEGIN');
    await client.query('LOCK TABLE records IN ACCESS EXCLUSIVE MODE');
    return async () => {
      await client.query('ROLLBACK');
      await client.end();
    };
  };
  /** Polls (at most 10 s) until a statement of the export thread's connection waits for a lock. */
  const exportWaiting = async () => {
    const client = new pg.Client({ connectionString: t.databaseUrl!, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      for (let i = 0; i < 200; i++) {
        const found = await client.query(
          "SELECT pid FROM pg_stat_activity WHERE application_name = 'tally export' AND wait_event_type = 'Lock'",
        );
        if (found.rowCount) return found.rows[0].pid as number;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('no export page waited for the lock within 10 s');
    } finally {
      await client.end();
    }
  };

  before(async () => {
    t = await startTestApp('postgres');
    await t.createMany(120, (i) => ({ field_1: `prompt ${i}` }));
  });
  after(async () => {
    for (const started of threads) await started.close();
    await t.close();
  });

  test('a page is read and made on the thread: 50 lines, more to follow', async () => {
    const page = await thread().page(TEST_ORG, PAGE);
    assert.equal(page.exported?.records, 50);
    assert.equal(page.more, true);
    const text = Buffer.from(page.page!.bytes.subarray(page.page!.start, page.page!.end)).toString();
    assert.equal(text.split('\n').length, 51);
    assert.equal(JSON.parse(text.split('\n')[49]).id, page.exported?.lastId);
  });

  test('a page stops taking records once it holds PAGE_TEXT_BYTES of text; the next starts after its last', async () => {
    const big = 'x'.repeat(300 * 1024);
    for (let i = 0; i < 8; i++) await t.create({ field_1: `${i} ${big}`, field_10: 'big' });
    const query: ListQuery = { ...PAGE, conditions: [{ op: 'eq', target: resolveTarget('field_10'), value: 'big' }] };
    const exporter = thread();
    const first = await exporter.page(TEST_ORG, query);
    const text = Buffer.from(first.page!.bytes.subarray(first.page!.start, first.page!.end));
    const lastLine = text.lastIndexOf(10, text.length - 2) + 1; // where the page's last line starts
    assert.ok(first.exported!.records < 8, `${first.exported!.records} records in the first page`);
    assert.ok(
      lastLine < PAGE_TEXT_BYTES && text.length >= PAGE_TEXT_BYTES,
      `the last line taken is the one that reaches the bound: ${lastLine}, ${text.length}`,
    );
    assert.equal(first.more, true);
    let exported = first.exported!.records;
    let last = first.exported!.lastId;
    for (let pages = 1; pages < 8; pages++) {
      const after = { op: 'gt' as const, target: resolveTarget('id'), value: last };
      const next = await exporter.page(TEST_ORG, { ...query, conditions: [...query.conditions, after] });
      exported += next.exported?.records ?? 0;
      last = next.exported?.lastId ?? last;
      if (!next.more) break;
    }
    assert.equal(exported, 8, 'every record once, page after page');
  });

  test('a page that waits past the read budget is query_timeout, and the thread goes on', async () => {
    const exporter = thread(1000);
    const release = await lockRecords();
    try {
      await assert.rejects(exporter.page(TEST_ORG, PAGE), (err: { code?: string }) => err.code === 'query_timeout');
    } finally {
      await release();
    }
    assert.equal((await exporter.page(TEST_ORG, PAGE)).exported?.records, 50);
  });

  test('a thread that dies fails its page (no hang), and the next page starts another thread', async () => {
    const exporter = thread();
    await exporter.page(TEST_ORG, PAGE); // started and connected
    const first = exporter.worker!;
    const release = await lockRecords();
    try {
      const waiting = exporter.page(TEST_ORG, PAGE);
      await exportWaiting();
      await first.terminate(); // as a crash would end it
      await assert.rejects(waiting, /export thread exited/);
    } finally {
      await release();
    }
    const next = await exporter.page(TEST_ORG, PAGE);
    assert.equal(next.exported?.records, 50);
    assert.notEqual(exporter.worker, first, 'a new thread');
  });

  test('closing ends the thread; a page asked for afterwards is refused', async () => {
    const exporter = thread();
    await exporter.page(TEST_ORG, PAGE);
    const worker = exporter.worker!;
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    await exporter.close();
    assert.equal(await exited, 0, 'it ended its pool and exited');
    await assert.rejects(exporter.page(TEST_ORG, PAGE), /closed/);
  });

  test("the export thread's connection lost mid-export: the client's stream is cut short, and the next export is whole", async () => {
    const port = await listen(t);
    const get = () =>
      new Promise<{ status: number; complete: boolean; text: string }>((resolve, reject) => {
        const req = http.get(
          { port, host: '127.0.0.1', path: '/api/records/export/?format=jsonl', headers: { authorization: `Bearer ${TEST_KEY}` } },
          (res) => {
            let text = '';
            res.on('data', (chunk: Buffer) => (text += chunk));
            res.on('end', () => resolve({ status: res.statusCode!, complete: true, text }));
            res.on('error', () => resolve({ status: res.statusCode!, complete: false, text }));
            res.on('aborted', () => resolve({ status: res.statusCode!, complete: false, text }));
          },
        );
        req.on('error', reject);
        setTimeout(() => reject(new Error('the export did not end within 30 s')), 30_000).unref();
      });
    // The export waits for the lock, and its connection is terminated under it: a 503 if no page went out yet, else a
    // stream cut short (the status is sent already); never a hang.
    const release = await lockRecords();
    let cut: { status: number; complete: boolean; text: string };
    try {
      const client = new pg.Client({ connectionString: t.databaseUrl!, connectionTimeoutMillis: 5000 });
      await client.connect();
      await client.query('SELECT 1');
      const exporting = get();
      const pid = await exportWaiting();
      await client.query('SELECT pg_terminate_backend($1)', [pid]);
      await client.end();
      cut = await exporting;
    } finally {
      await release();
    }
    assert.ok(cut.status === 503 || (cut.status === 200 && !cut.complete), `status ${cut.status}, complete ${cut.complete}`);
    const whole = await get();
    assert.equal(whole.status, 200);
    assert.equal(whole.complete, true);
    assert.equal(whole.text.split('\n').length, 120 + 8 + 1, 'every record (the 120 and the 8 large), each a line');
  });
});
