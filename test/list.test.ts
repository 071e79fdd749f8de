import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { SEED_FILTERS } from './helpers/seed.ts';
import { STORE_KINDS } from './helpers/stores.ts';
import { httpRequest } from './helpers/http.ts';
import { listen } from './helpers/listen.ts';

for (const kind of STORE_KINDS) {
  describe(`list and retrieve [${kind}]`, () => {
    let t: TestApp;
    const created: any[] = [];
    before(async () => {
      t = await startTestApp(kind);
      for (let i = 0; i < 25; i++) {
        const res = await t.request('POST', '/api/records/create/', {
          field_4: i % 2 ? 'gpt-4o' : 'gpt-4o-mini',
          field_6: i % 5 === 0 ? null : i * 1.5,
          field_7: (25 - i) / 10,
          field_10: `customer_${i % 3}`,
          timestamp: new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString(),
          field_9: { prop_3: i % 2 ? 'tier_a' : 'tier_c', n: i },
        });
        assert.equal(res.status, 201);
        created.push(res.body);
      }
    });
    after(() => t.close());
    const ids = (results: any[]) => results.map((r) => r.id);

    test('default list: newest first by id, page size 100, the {count, next, previous, results} envelope', async () => {
      const res = await t.request('GET', '/api/records/list/');
      assert.equal(res.status, 200);
      assert.deepEqual(Object.keys(res.body), ['count', 'next', 'previous', 'results']);
      assert.equal(res.body.count, 25);
      assert.equal(res.body.next, null);
      assert.equal(res.body.previous, null);
      assert.deepEqual(ids(res.body.results), ids(created).reverse());
    });

    test('the page is the records as retrieved one by one, in compact JSON (SQLite writes it on its reader thread)', async () => {
      const res = await t.app.http.inject({
        method: 'GET',
        url: '/api/records/list/?param_c=3',
        headers: { authorization: `Bearer ${t.key}` },
      });
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
      const page = JSON.parse(res.body);
      assert.equal(res.body, JSON.stringify(page), 'compact, in the order JSON.stringify writes the envelope');
      for (const record of page.results) assert.deepEqual(record, (await t.request('GET', `/api/records/${record.id}/`)).body);
    });

    test('page links take the Host only when it is a plain host, and never a host from the path', async () => {
      const nextOf = async (path: string, host: string) => {
        const res = await t.request('GET', path, undefined, { host });
        assert.equal(res.status, 200, `Host ${JSON.stringify(host)}: ${JSON.stringify(res.body)}`);
        return new URL(res.body.next);
      };
      assert.equal((await nextOf('/api/records/list/?param_c=10', 'tally.example:8443')).host, 'tally.example:8443');
      assert.equal((await nextOf('/api/records/list/?param_c=10', '[::1]:8080')).host, '[::1]:8080');
      for (const host of ['', 'a b', '[', '%zz', 'h:99999999', 'u@evil.example', 'evil.example/x']) {
        const next = await nextOf('/api/records/list/?param_c=10', host);
        assert.ok(!next.host.includes('evil') && next.username === '', `Host ${JSON.stringify(host)} → ${next}`);
        assert.equal(next.pathname, '/api/records/list/');
        assert.equal(next.searchParams.get('param_b'), '2');
      }
      const doubled = await nextOf('//api/records/list/?param_c=10', 'tally.example');
      assert.equal(doubled.host, 'tally.example', 'a path starting // stays a path');
    });

    test('param_b and param_c paginate, with next/previous URLs', async () => {
      const p1 = await t.request('GET', '/api/records/list/?param_c=10');
      assert.equal(p1.body.results.length, 10);
      assert.equal(p1.body.previous, null);
      const next = new URL(p1.body.next);
      assert.equal(next.pathname, '/api/records/list/');
      assert.equal(next.searchParams.get('param_b'), '2');
      assert.equal(next.searchParams.get('param_c'), '10');
      const p2 = await t.request('GET', `${next.pathname}${next.search}`);
      const p3 = await t.request('GET', '/api/records/list/?param_c=10&param_b=3');
      assert.equal(p3.body.results.length, 5);
      assert.equal(p3.body.next, null);
      assert.equal(new URL(p3.body.previous).searchParams.get('param_b'), '2');
      assert.deepEqual([...ids(p1.body.results), ...ids(p2.body.results), ...ids(p3.body.results)], ids(created).reverse());
      const beyond = await t.request('GET', '/api/records/list/?param_c=10&param_b=9');
      assert.equal(beyond.status, 200);
      assert.deepEqual(beyond.body.results, []);
      assert.equal(beyond.body.count, 25);
    });

    test('param_c: max 1000, larger is a 400; bad numbers are 400', async () => {
      assert.equal((await t.request('GET', '/api/records/list/?param_c=1000')).status, 200);
      for (const q of [
        'param_c=1001',
        'param_c=0',
        'param_c=abc',
        'param_b=0',
        'param_b=-1',
        'param_b=1.5',
        'param_d=nope',
        'param_d=field_1',
        'param_a=yesterday',
      ]) {
        const res = await t.request('GET', `/api/records/list/?${q}`);
        assert.equal(res.status, 400, q);
        assert.equal(res.body.error.code, 'invalid_query_parameter', q);
        assert.equal(res.body.error.details[0].field, q.split('=')[0]);
      }
    });

    test('param_d sorts by option_1..option_4 and by field names, "-" descending, NULLs last ascending', async () => {
      const sorted = async (d: string) => ids((await t.request('GET', `/api/records/list/?param_d=${d}`)).body.results);
      assert.deepEqual(await sorted('option_1'), ids(created));
      assert.deepEqual(await sorted('-option_1'), ids(created).reverse());
      assert.deepEqual(await sorted('id'), ids(created));
      const byCost = [...created].sort((a, b) => (a.field_6 ?? Infinity) - (b.field_6 ?? Infinity) || (a.id < b.id ? -1 : 1));
      assert.deepEqual(await sorted('option_2'), ids(byCost));
      assert.deepEqual(await sorted('field_6'), ids(byCost));
      const byCostDesc = [...created].sort((a, b) => (b.field_6 ?? Infinity) - (a.field_6 ?? Infinity) || (a.id < b.id ? 1 : -1));
      assert.deepEqual(await sorted('-option_2'), ids(byCostDesc), 'descending puts NULLs first');
      const byLatency = [...created].sort((a, b) => a.field_7 - b.field_7);
      assert.deepEqual(await sorted('option_3'), ids(byLatency));
      assert.deepEqual(await sorted('-option_4'), ids(created).reverse());
      assert.deepEqual(await sorted('timestamp'), ids(created));
      const byCustomer = [...created].sort((a, b) => (a.field_10 < b.field_10 ? -1 : a.field_10 > b.field_10 ? 1 : a.id < b.id ? -1 : 1));
      assert.deepEqual(await sorted('field_10'), ids(byCustomer));
    });

    test('param_a keeps records at or after the start time', async () => {
      const res = await t.request('GET', `/api/records/list/?param_a=${encodeURIComponent('2025-01-01T00:20:00Z')}`);
      assert.deepEqual(ids(res.body.results), ids(created.slice(20)).reverse());
      const offset = await t.request('GET', '/api/records/list/?param_a=2025-01-01T02:20:00+02:00');
      assert.equal(offset.body.count, 5, 'an unencoded + offset is read as meant');
    });

    test('the seed filter example works verbatim (POST body)', async () => {
      const res = await t.request('POST', '/api/records/list/', SEED_FILTERS);
      assert.equal(res.status, 200);
      const expected = created.filter((r) => r.field_6 !== null && r.field_6 > 10 && ['tier_a', 'tier_b'].includes(r.field_9.prop_3));
      assert.ok(expected.length > 3);
      assert.deepEqual(ids(res.body.results), ids(expected).reverse());
      assert.equal(res.body.count, expected.length);
    });

    test('GET takes filters as JSON in ?filters=', async () => {
      const res = await t.request(
        'GET',
        `/api/records/list/?filters=${encodeURIComponent(JSON.stringify(SEED_FILTERS.filters))}&param_c=2`,
      );
      assert.equal(res.status, 200);
      assert.equal(res.body.results.length, 2);
      const next = new URL(res.body.next);
      assert.equal(next.searchParams.get('filters'), JSON.stringify(SEED_FILTERS.filters), 'next keeps the filters');
      assert.equal((await t.request('GET', '/api/records/list/?filters=notjson')).status, 400);
    });

    test('query params combine with POST filters, and POST bodies are checked', async () => {
      const res = await t.request('POST', '/api/records/list/?param_c=3&param_d=field_7', SEED_FILTERS);
      assert.equal(res.body.results.length, 3);
      const latencies = res.body.results.map((r: any) => r.field_7);
      assert.deepEqual(
        latencies,
        [...latencies].sort((a, b) => a - b),
      );
      const unknown = await t.request('POST', '/api/records/list/', { filter: {} });
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.error.details[0].field, 'filter');
      const empty = await t.request('POST', '/api/records/list/', '');
      assert.equal(empty.status, 200, 'an empty POST body lists everything');
    });

    test('count=false (our extension) skips the count: the same page, "count": null, next while records follow', async () => {
      const counted = await t.request('GET', '/api/records/list/?param_c=10&param_b=2');
      const res = await t.request('GET', '/api/records/list/?param_c=10&param_b=2&count=false');
      assert.equal(res.status, 200);
      assert.deepEqual(Object.keys(res.body), ['count', 'next', 'previous', 'results']);
      assert.equal(res.body.count, null);
      assert.deepEqual(ids(res.body.results), ids(counted.body.results));
      assert.equal(new URL(res.body.next).searchParams.get('param_b'), '3');
      assert.equal(new URL(res.body.next).searchParams.get('count'), 'false', 'next keeps count=false');
      assert.equal(new URL(res.body.previous).searchParams.get('param_b'), '1');
      const last = await t.request('GET', '/api/records/list/?param_c=5&param_b=5&count=false');
      assert.equal(last.body.results.length, 5);
      assert.equal(last.body.next, null, 'no next when the last page is exactly full');
      const beyond = await t.request('GET', '/api/records/list/?param_c=10&param_b=9&count=false');
      assert.deepEqual(beyond.body.results, []);
      assert.equal(new URL(beyond.body.previous).searchParams.get('param_b'), '8', 'without a count, previous is simply the page before');
      const filtered = await t.request('POST', '/api/records/list/?param_c=3', { ...SEED_FILTERS, count: false });
      assert.equal(filtered.body.count, null, 'count may also be given in a POST body');
      assert.equal(filtered.body.results.length, 3);
      assert.equal((await t.request('GET', '/api/records/list/?count=true')).body.count, 25);
      for (const q of ['count=no', 'count=0', 'count=False']) {
        const bad = await t.request('GET', `/api/records/list/?${q}`);
        assert.equal(bad.status, 400, q);
        assert.equal(bad.body.error.details[0].field, 'count');
      }
    });

    test('retrieve: one record; 404 for an unknown id', async () => {
      const res = await t.request('GET', `/api/records/${created[3].id}/`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, created[3]);
      const noSlash = await t.request('GET', `/api/records/${created[3].id}`);
      assert.equal(noSlash.status, 200);
      const missing = await t.request('GET', '/api/records/record_00000000000000000000000000/');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'not_found');
      const odd = await t.request('GET', `/api/records/${encodeURIComponent("' OR 1=1 --")}/`);
      assert.equal(odd.status, 404);
      // An id of any length is an unknown id (after auth), not the router's 414.
      const long = await t.request('GET', `/api/records/${'a'.repeat(5000)}/`);
      assert.equal(long.status, 404, JSON.stringify(long.body).slice(0, 200));
      assert.equal(long.body.error.code, 'not_found');
      assert.equal(
        (await t.request('GET', `/api/records/${'a'.repeat(5000)}/`, undefined, { authorization: 'Bearer nope-nope-nope-nope' })).status,
        401,
      );
    });

    test('a URL whose %-escapes do not decode is a 400 in the error shape', async () => {
      for (const [method, url] of [
        ['GET', '/api/records/%ZZ/'],
        ['GET', '/api/records/%E0%A4%A/'],
        ['POST', '/api/records/create/%ZZ'],
        ['GET', '/api/records/list%ZZ'],
      ]) {
        const res = await t.request(method, url, method === 'POST' ? {} : undefined);
        assert.equal(res.status, 400, `${method} ${url}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.code, 'bad_request', `${method} ${url}: ${JSON.stringify(res.body)}`);
        assert.ok(Array.isArray(res.body.error.details));
        assert.equal(res.headers['x-content-type-options'], 'nosniff');
      }
    });
  });

  describe(`list pages over real sockets [${kind}]`, () => {
    // SQLite's reader threads write a page into a buffer that, once sent, is filled again by a later page: a page
    // larger than the socket's buffers, whose client reads slowly, is still being sent while other lists run.
    let t: TestApp;
    let port: number;
    const pages: string[][] = [];
    before(async () => {
      t = await startTestApp(kind);
      port = await listen(t);
      for (let i = 0; i < 60; i++)
        await t.create({
          field_2: `${i}:${String.fromCharCode(97 + (i % 26)).repeat(200_000)}`,
          field_5: { sub_field_a: 1, sub_field_b: 1 },
        });
      for (let page = 1; page <= 3; page++)
        pages.push((await t.request('GET', `/api/records/list/?param_c=20&param_b=${page}`)).body.results.map((r: { id: string }) => r.id));
    });
    after(() => t.close());

    test('a page is sent whole and unchanged while a slow client reads it and other lists take turns in the page buffers', async () => {
      const slow = new Promise<string>((resolve, reject) => {
        const req = http.get(
          {
            host: '127.0.0.1',
            port,
            path: '/api/records/list/?param_c=20&param_b=1',
            headers: { authorization: `Bearer ${t.key}` },
            agent: false,
          },
          (res) => {
            res.pause(); // ~8 MB: most of it waits in the server until this client reads
            const chunks: Buffer[] = [];
            setTimeout(() => {
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
              res.resume();
            }, 1500);
            res.on('error', reject);
          },
        );
        req.on('error', reject);
      });
      for (let round = 0; round < 4; round++) {
        for (const page of [2, 3]) {
          const res = await httpRequest(port, 'GET', `/api/records/list/?param_c=20&param_b=${page}`, {
            headers: { authorization: `Bearer ${t.key}` },
          });
          assert.deepEqual(
            res.body.results.map((r: { id: string }) => r.id),
            pages[page - 1],
          );
        }
      }
      const first = JSON.parse(await slow);
      assert.deepEqual(
        first.results.map((r: { id: string }) => r.id),
        pages[0],
      );
      for (const r of first.results) assert.match(r.field_2, /^\d+:([a-z])\1{199999}$/);
    });
  });
}
