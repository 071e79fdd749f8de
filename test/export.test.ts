import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { parseTimestamp } from '../src/time.ts';
import { startTestApp, TEST_KEY, type TestApp } from './helpers/app.ts';
import { listen } from './helpers/listen.ts';
import { STORE_KINDS } from './helpers/stores.ts';

/**
 * GET|POST /api/records/export/ (docs/lifecycle.md): every matching record, oldest first, as JSONL (each line the
 * retrieve endpoint's reply) or CSV (a header row of the retrieve reply's fields), streamed page by page.
 */

const f = (value: unknown, operator = '') => ({ operator, value: Array.isArray(value) ? value : [value] });

for (const kind of STORE_KINDS) {
  describe(`export [${kind}]`, () => {
    let t: TestApp;
    const ids: string[] = [];
    before(async () => {
      t = await startTestApp(kind);
      // Many pages (export.ts reads 50 at a time), with nested, null, boolean-free and awkward text values.
      await t.createMany(450, (i) => ({
        field_1: i % 7 === 0 ? `quote " comma , newline \n é ${i}` : `prompt ${i}`,
        field_2: i % 3 === 0 ? null : `answer ${i}`,
        field_10: `cust-${i % 4}`,
        field_9: i % 5 === 0 ? { env: 'prod', nested: { a: [1, 2], b: null }, flag: true } : { env: 'dev' },
      }));
      const list = await t.request('GET', '/api/records/list/?param_c=1000&param_d=id');
      assert.equal(list.body.count, 450);
      ids.push(...list.body.results.map((r: { id: string }) => r.id));
    });
    after(() => t.close());

    const exported = async (method: 'GET' | 'POST', url: string, body?: unknown) => {
      const res = await t.app.http.inject({
        method,
        url,
        headers: { authorization: `Bearer ${TEST_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        payload: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.statusCode, text: res.body, headers: res.headers };
    };

    test('JSONL: every record oldest first, each line exactly the retrieve reply, as an attachment', async () => {
      const res = await exported('GET', '/api/records/export/?format=jsonl');
      assert.equal(res.status, 200, res.text.slice(0, 300));
      assert.match(String(res.headers['content-type']), /^application\/x-ndjson/);
      assert.match(String(res.headers['content-disposition']), /^attachment; filename="[^"]+\.jsonl"$/);
      assert.equal(res.headers['content-length'], undefined, 'streamed, no length up front');
      assert.ok(res.text.endsWith('\n'));
      const lines = res.text.slice(0, -1).split('\n');
      assert.equal(lines.length, 450);
      const records = lines.map((l) => JSON.parse(l));
      assert.deepEqual(
        records.map((r) => r.id),
        ids,
      );
      for (const i of [0, 7, 49, 50, 51, 199, 200, 201, 449]) {
        const one = await t.app.http.inject({
          method: 'GET',
          url: `/api/records/${ids[i]}/`,
          headers: { authorization: `Bearer ${TEST_KEY}` },
        });
        assert.equal(lines[i], one.body, 'the line is the retrieve reply, byte for byte');
      }
    });

    test('CSV: a header of the retrieve fields, one row per record, nested values as JSON, null empty, booleans true/false', async () => {
      const res = await exported('GET', '/api/records/export/?format=csv');
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /^text\/csv/);
      assert.match(String(res.headers['content-disposition']), /^attachment; filename="[^"]+\.csv"$/);
      const rows = parse(res.text) as string[][];
      const sample = JSON.parse(
        (await t.app.http.inject({ method: 'GET', url: `/api/records/${ids[0]}/`, headers: { authorization: `Bearer ${TEST_KEY}` } })).body,
      );
      assert.deepEqual(rows[0], Object.keys(sample));
      assert.equal(rows.length, 451);
      const col = (name: string) => rows[0].indexOf(name);
      const first = rows[1];
      assert.equal(first[col('id')], ids[0]);
      assert.equal(first[col('field_1')], sample.field_1, 'quotes, commas and newlines round-trip');
      assert.equal(first[col('field_2')], '', 'null is an empty cell');
      assert.deepEqual(JSON.parse(first[col('field_9')]), sample.field_9);
      for (const [name, value] of Object.entries(sample)) {
        const cell = first[col(name)];
        if (value === null) assert.equal(cell, '', name);
        else if (typeof value === 'object') assert.equal(cell, JSON.stringify(value), name);
        else if (typeof value === 'boolean') assert.equal(cell, String(value), name);
        else assert.equal(cell, String(value), name);
      }
      assert.deepEqual(
        rows.slice(1).map((r) => r[col('id')]),
        ids,
      );
    });

    test('filters as the list takes them (GET ?filters=, POST body), param_a and an exclusive end', async () => {
      const filters = { field_10: f('cust-1'), field_9__env: f('prod') };
      const expected = (
        await t.request('GET', `/api/records/list/?param_c=1000&param_d=id&filters=${encodeURIComponent(JSON.stringify(filters))}`)
      ).body.results;
      assert.ok(expected.length > 0);
      const get = await exported('GET', `/api/records/export/?format=jsonl&filters=${encodeURIComponent(JSON.stringify(filters))}`);
      const post = await exported('POST', '/api/records/export/?format=jsonl', { filters });
      assert.equal(post.status, 200);
      assert.equal(get.text, post.text);
      assert.deepEqual(
        get.text
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l)),
        expected,
      );
      // Timestamps of records created in one batch may be equal; take a range on distinct ones.
      const all = (await exported('GET', '/api/records/export/')).text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      // Compared as instants: a whole second is written without a fraction ("…:04Z"), which sorts after "…:04.5Z" as text.
      const at = (text: string) => parseTimestamp(text) as number;
      const stamps = [...new Set(all.map((r) => r.timestamp as string))].sort((a, b) => at(a) - at(b));
      if (stamps.length >= 3) {
        const [from, to] = [stamps[1], stamps[stamps.length - 1]];
        const ranged = await exported('GET', `/api/records/export/?param_a=${encodeURIComponent(from)}&end=${encodeURIComponent(to)}`);
        const got = ranged.text
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l).id);
        assert.deepEqual(
          got,
          all.filter((r) => at(r.timestamp) >= at(from) && at(r.timestamp) < at(to)).map((r) => r.id),
        );
      }
    });

    test('no matching record: CSV is the header alone, JSONL is empty', async () => {
      const filters = encodeURIComponent(JSON.stringify({ field_10: f('nobody') }));
      const csv = await exported('GET', `/api/records/export/?format=csv&filters=${filters}`);
      assert.equal(csv.status, 200);
      assert.equal((parse(csv.text) as string[][]).length, 1);
      const jsonl = await exported('GET', `/api/records/export/?format=jsonl&filters=${filters}`);
      assert.equal(jsonl.status, 200);
      assert.equal(jsonl.text, '');
    });

    test('bad input is a 400 naming the problem: unknown format, bad end or param_a, bad filters, unknown body field', async () => {
      const cases: [string, string, unknown, RegExp][] = [
        ['GET', '/api/records/export/?format=xml', undefined, /format/],
        ['GET', '/api/records/export/?format=jsonl&format=csv', undefined, /format/],
        ['GET', '/api/records/export/?end=yesterday', undefined, /end/],
        ['GET', '/api/records/export/?param_a=soon', undefined, /param_a/],
        ['GET', '/api/records/export/?filters=%7Bnope', undefined, /filters/],
        ['GET', `/api/records/export/?filters=${encodeURIComponent('{"nope":{"value":[1]}}')}`, undefined, /nope/],
        ['POST', '/api/records/export/?format=csv', { filters: {}, format: 'csv' }, /format/],
        ['POST', '/api/records/export/', [], /object/],
      ];
      for (const [method, url, body, message] of cases) {
        const res = await t.request(method, url, body);
        assert.equal(res.status, 400, `${method} ${url}: ${JSON.stringify(res.body)}`);
        assert.match(res.body.error.message, message, url);
      }
    });
  });

  describe(`export over a real socket [${kind}]`, () => {
    // 6,000 records of ~8 KB: ~49 MB of JSONL in 120 pages of 50, more than the loopback's socket buffers hold.
    const RECORDS = 6000;
    const PAGES = RECORDS / 50;
    let t: TestApp;
    let port: number;
    before(async () => {
      t = await startTestApp(kind);
      const big = 'x'.repeat(8000);
      for (let from = 0; from < RECORDS; from += 100) {
        const records = Array.from({ length: 100 }, (_, k) => ({ field_1: `${from + k} ${big}` }));
        assert.equal((await t.request('POST', '/api/records/batch/', { records })).status, 201);
      }
      port = await listen(t);
    });
    after(() => t.close());

    /** Pages read from the store by this app's exports so far (tally_export_pages_total). */
    const pagesRead = async () => {
      const res = await t.app.http.inject({ method: 'GET', url: '/metrics' });
      return Number(/^tally_export_pages_total (\d+)$/m.exec(res.body)?.[1]);
    };
    /** Polls pagesRead until it has not moved for 2 s (at most 60 s): the export waits for the client. */
    const settled = async () => {
      let last = await pagesRead();
      for (let polls = 0, still = 0; polls < 600; polls++) {
        await new Promise((r) => setTimeout(r, 100));
        const now = await pagesRead();
        still = now === last ? still + 1 : 0;
        last = now;
        if (still >= 20) return now;
      }
      throw new Error(`the export never stopped reading while the client did not (at ${last} pages)`);
    };
    /** The export's end as logged (complete, records, pages), at most 10 s after `from` log lines. */
    const logged = async (from: number) => {
      for (let i = 0; i < 200; i++) {
        const line = t.logs.slice(from).find((l) => l.includes('"complete"'));
        if (line) return JSON.parse(line);
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('the export never logged its end');
    };
    /** An export whose client takes its first bytes, then stops reading (the response paused). */
    const pausedExport = () =>
      new Promise<{ req: http.ClientRequest; res: http.IncomingMessage; first: Buffer }>((resolve, reject) => {
        const req = http.get(
          { port, host: '127.0.0.1', path: '/api/records/export/?format=jsonl', headers: { authorization: `Bearer ${TEST_KEY}` } },
          (res) => {
            assert.equal(res.statusCode, 200);
            res.once('data', (first: Buffer) => {
              res.pause();
              resolve({ req, res, first });
            });
          },
        );
        req.on('error', () => {});
        setTimeout(() => reject(new Error('no bytes within 30 s')), 30_000).unref();
      });

    test('a slow client: the server stops reading pages while the client does not read, and goes on when it does', async (ctx) => {
      const before = await pagesRead();
      const { res, first } = await pausedExport();
      const whilePaused = (await settled()) - before;
      ctx.diagnostic(`${whilePaused} of ${PAGES} pages read while the client read nothing`);
      // What the paused client's socket and the kernel's buffers hold, plus the page waiting in the stream: far from all.
      assert.ok(whilePaused >= 1 && whilePaused <= PAGES / 2, `read ${whilePaused} of ${PAGES} pages while the client read nothing`);
      const newlines = (chunk: Buffer) => {
        let n = 0;
        for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) n++;
        return n;
      };
      let lines = newlines(first);
      const ended = new Promise<void>((resolve, reject) => {
        res.on('data', (chunk: Buffer) => (lines += newlines(chunk)));
        res.on('end', resolve);
        res.on('error', reject);
        setTimeout(() => reject(new Error('the export did not end within 120 s')), 120_000).unref();
      });
      res.resume();
      await ended;
      assert.equal(lines, RECORDS, 'every record, once the client reads again');
      assert.equal((await pagesRead()) - before, PAGES);
    });

    test('a client that disconnects while the export waits for it stops the read there', async () => {
      const from = t.logs.length;
      const before = await pagesRead();
      const { req } = await pausedExport();
      const whilePaused = (await settled()) - before;
      req.destroy();
      const entry = await logged(from);
      assert.equal(entry.complete, false, JSON.stringify(entry));
      assert.ok(entry.pages <= whilePaused + 1, `${entry.pages} pages read, ${whilePaused} before the client left`);
      assert.equal((await settled()) - before, entry.pages, 'no page read after the export stopped');
    });

    test('a client that disconnects mid-export stops the read', async () => {
      const from = t.logs.length;
      await new Promise<void>((resolve, reject) => {
        const req = http.get(
          { port, host: '127.0.0.1', path: '/api/records/export/?format=jsonl', headers: { authorization: `Bearer ${TEST_KEY}` } },
          (res) => {
            assert.equal(res.statusCode, 200);
            res.once('data', () => {
              req.destroy(); // gone after the first bytes
              resolve();
            });
          },
        );
        req.on('error', () => {});
        setTimeout(() => reject(new Error('no bytes within 30 s')), 30_000).unref();
      });
      const entry = await logged(from);
      assert.equal(entry.complete, false, JSON.stringify(entry));
      assert.ok(entry.records < RECORDS, `read ${entry.records} of ${RECORDS} records after the client left`);
    });
  });
}
