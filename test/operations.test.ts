import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { errorCodeOf, within } from './helpers/http.ts';
import { listen } from './helpers/listen.ts';
import { STORE_KINDS } from './helpers/stores.ts';

/** One sample of Prometheus text, e.g. sample(text, 'tally_rejections_total{code="unauthorized"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

for (const kind of STORE_KINDS) {
  describe(`health and readiness [${kind}]`, () => {
    test('/healthz and /readyz answer 200; /readyz is 503 store_unavailable when the store is gone', async () => {
      const t = await startTestApp(kind);
      try {
        const health = await t.request('GET', '/healthz', undefined, { authorization: '' });
        assert.equal(health.status, 200, 'no API key needed');
        assert.equal(health.body.status, 'ok');
        assert.equal(
          health.body.details.price_catalogue.library,
          '@pydantic/genai-prices',
          'and the price catalogue (price-catalogue.test.ts)',
        );
        const ready = await t.request('GET', '/readyz', undefined, { authorization: '' });
        assert.equal(ready.status, 200);
        assert.deepEqual(ready.body, { status: 'ready' });
        await t.store.close();
        const down = await t.request('GET', '/readyz');
        assert.equal(down.status, 503);
        assert.equal(errorCodeOf(down.body), 'store_unavailable');
        assert.equal((await t.request('GET', '/healthz')).status, 200, 'the process itself is alive');
      } finally {
        await t.close();
      }
    });
  });

  describe(`graceful close [${kind}]`, () => {
    test('while closing, a request already in flight is answered 201, and /readyz is 503 shutting_down', async () => {
      const t = await startTestApp(kind);
      const port = await listen(t);
      // A create whose body is still arriving when the close starts.
      const req = http.request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/records/create/',
        headers: { 'content-type': 'application/json', 'content-length': '2', authorization: `Bearer ${t.key}` },
      });
      req.setTimeout(30_000, () => req.destroy(new Error('no reply within 30 s')));
      const response = new Promise<number>((resolve, reject) => {
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
      });
      req.write('{');
      await new Promise((r) => setTimeout(r, 100));
      const closing = t.app.close();
      const ready = await t.app.http.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 503);
      assert.equal(errorCodeOf(JSON.parse(ready.body)), 'shutting_down');
      req.end('}');
      assert.equal(await response, 201);
      await within(closing, 30_000, 'the app to close'); // a 201 is sent after the commit; the crash and shutdown tests read such records back
      fs.rmSync(t.dataDir, { recursive: true, force: true });
    });
  });

  describe(`metrics [${kind}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(() => t.close());

    test('/metrics: requests and latency by route pattern, queue depth, records stored, rejections by code', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await t.request('POST', '/api/records/create/', { field_1: `m${i}` })).body.id);
      for (let i = 0; i < 2; i++) await t.request('POST', '/api/records/create/', { field_21: { option_a: false } });
      await t.drain();
      for (const id of ids) await t.request('GET', `/api/records/${id}/`);
      await t.request('GET', '/api/records/list/', undefined, { authorization: 'Bearer not-a-key-0123456789' });
      await t.request('POST', '/api/records/create/', { field_3: 'type_z' });
      await t.request('GET', '/api/records/record_nope/');

      const res = await t.request('GET', '/metrics', undefined, { authorization: '' });
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /^text\/plain/);
      const text = res.body as string;
      assert.equal(sample(text, 'tally_records_stored_total'), 5);
      assert.equal(sample(text, 'tally_write_queue_depth'), 0);
      assert.equal(sample(text, 'tally_write_queue_bytes'), 0);
      assert.equal(sample(text, 'tally_http_requests_total{method="POST",route="/api/records/create",status="201"}'), 3);
      assert.equal(sample(text, 'tally_http_requests_total{method="POST",route="/api/records/create",status="202"}'), 2);
      assert.equal(sample(text, 'tally_http_requests_total{method="GET",route="/api/records/:resource_id",status="200"}'), 3);
      assert.equal(sample(text, 'tally_http_request_duration_seconds_count{method="GET",route="/api/records/:resource_id"}'), 4);
      for (const id of ids) assert.ok(!text.includes(id), 'raw URLs never become labels');
      assert.equal(sample(text, 'tally_rejections_total{code="unauthorized"}'), 1);
      assert.equal(sample(text, 'tally_rejections_total{code="validation_error"}'), 1);
      assert.equal(sample(text, 'tally_rejections_total{code="not_found"}'), 1);
      assert.ok((sample(text, 'tally_write_commit_seconds_count') ?? 0) >= 1);
      assert.ok((sample(text, 'process_resident_memory_bytes') ?? 0) > 0, 'process metrics too');
    });
  });

  describe(`request ids in logs [${kind}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind, { TALLY_LOG_LEVEL: 'debug' });
    });
    after(() => t.close());

    test('every log line of a request carries the x-request-id the client sent, and the reply echoes it', async () => {
      const rid = 'client-given-id-42';
      const res = await t.request('POST', '/api/records/create/?marker=rid-test', { field_3: 'type_z' }, { 'x-request-id': rid });
      assert.equal(res.status, 400);
      assert.equal(res.headers['x-request-id'], rid);
      const lines = t.logs
        .flatMap((chunk) => chunk.split('\n'))
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l));
      const mine = lines.filter((l) => l.reqId === rid);
      // One access line per request, when it is answered: method, path, status and duration, with the request id.
      const done = mine.filter((l) => l.msg === 'request completed');
      assert.equal(done.length, 1, JSON.stringify(mine));
      assert.deepEqual(
        [done[0].req.method, done[0].req.url, done[0].res.statusCode, typeof done[0].responseTime],
        ['POST', '/api/records/create/', 400, 'number'],
      );
      assert.ok(!mine.some((l) => l.msg === 'incoming request'), 'no second line per request');
      for (const l of lines) if (l.req?.query?.includes('marker')) assert.equal(l.reqId, rid);
      const own = await t.request('GET', '/healthz');
      assert.match(String(own.headers['x-request-id']), /^[0-9a-f-]{36}$/, 'one is generated when the client sends none');
    });
  });
}
