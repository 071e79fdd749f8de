import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createConcurrencyGate } from '../src/http/concurrency-gate.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { errorCodeOf, httpRequest, sleep } from './helpers/http.ts';
import { listen, rawConnection, trickle } from './helpers/listen.ts';
import { SEED_CREATE_PAYLOAD } from './helpers/seed.ts';

describe('concurrency gate', () => {
  test('admits up to the limit, then one per place given back, in arrival order', async () => {
    const gate = createConcurrencyGate(2);
    const order: number[] = [];
    const tickets = Array.from({ length: 5 }, (_, i) => {
      const t = gate.enter();
      void t.ready.then(() => order.push(i));
      return t;
    });
    await sleep(0);
    assert.deepEqual(order, [0, 1]);
    assert.deepEqual(gate.stats(), { active: 2, waiting: 3 });
    tickets[1].leave();
    await sleep(0);
    assert.deepEqual(order, [0, 1, 2]);
    tickets[0].leave();
    tickets[0].leave(); // twice: still only one place back
    await sleep(0);
    assert.deepEqual(order, [0, 1, 2, 3]);
    assert.deepEqual(gate.stats(), { active: 2, waiting: 1 });
  });

  test('a request that leaves while waiting never takes a place', async () => {
    const gate = createConcurrencyGate(1);
    const first = gate.enter();
    const gone = gate.enter();
    let goneAdmitted = false;
    void gone.ready.then(() => (goneAdmitted = true));
    const third = gate.enter();
    gone.leave();
    assert.deepEqual(gate.stats(), { active: 1, waiting: 1 });
    first.leave();
    await third.ready;
    assert.equal(goneAdmitted, false);
    assert.deepEqual(gate.stats(), { active: 1, waiting: 0 });
    third.leave();
    assert.deepEqual(gate.stats(), { active: 0, waiting: 0 });
  });
});

describe('batch requests through the gate, real sockets (TALLY_BATCH_CONCURRENCY=1)', () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await startTestApp('sqlite', { TALLY_BATCH_CONCURRENCY: '1', TALLY_BODY_LIMIT_BYTES: '65536' });
    port = await listen(t);
  });
  after(() => t.close());

  const batch = (n: number) => ({ records: Array.from({ length: n }, () => SEED_CREATE_PAYLOAD) });
  const send = (n: number) =>
    httpRequest(port, 'POST', '/api/records/batch/', { body: batch(n), headers: { authorization: `Bearer ${t.key}` } });

  test('a second batch waits while one is in progress, and goes on when the first client gives up', async () => {
    // The first batch is past the gate and stalls halfway through its body.
    const stalled = rawConnection(port);
    await stalled.connected;
    const body = JSON.stringify(batch(2));
    stalled.socket.write(
      `POST /api/records/batch/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.key}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`,
    );
    await sleep(100);
    let answered = false;
    const second = send(3).then((r) => {
      answered = true;
      return r;
    });
    await sleep(400);
    assert.equal(answered, false, 'the second batch was answered while the first held the only place');
    stalled.socket.destroy();
    const res = await second;
    assert.equal(res.status, 201);
    assert.equal(res.body.count, 3);
    // The abandoned request's place came back once: batches keep flowing, one after another and at once.
    assert.deepEqual(
      (await Promise.all([send(1), send(2), send(1)])).map((r) => r.status),
      [201, 201, 201],
    );
    assert.equal((await t.request('GET', '/api/records/list/?param_c=1')).body.count, 7);
  });

  test('a rejected batch gives its place back: invalid, unauthorised, not JSON, too large', async () => {
    const auth = { authorization: `Bearer ${t.key}` };
    assert.equal(
      (await httpRequest(port, 'POST', '/api/records/batch/', { body: { records: [{ field_3: 5 }] }, headers: auth })).status,
      400,
    );
    assert.equal((await httpRequest(port, 'POST', '/api/records/batch/', { body: batch(1) })).status, 401);
    assert.equal((await httpRequest(port, 'POST', '/api/records/batch/', { body: '{"records": [', headers: auth })).status, 400);
    assert.equal(
      (await httpRequest(port, 'POST', '/api/records/batch/', { body: JSON.stringify(batch(1)).padEnd(70_000, ' '), headers: auth }))
        .status,
      413,
    );
    assert.equal((await send(1)).status, 201);
  });
});

describe('unauthenticated batch uploads, real sockets (default TALLY_BATCH_CONCURRENCY=2)', () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await startTestApp('sqlite');
    port = await listen(t);
  });
  after(() => t.close());

  test('two slow uploads without a key get 401 at once and are closed unread; a legitimate batch is not held up', async () => {
    // The attack of issue 14: batch headers announcing 1,000,000 bytes, no key, then a byte at a time.
    const head = 'POST /api/records/batch/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n';
    const tricklers = [0, 1].map(() => trickle(port, { first: head, rest: ' '.repeat(300), everyMs: 100 }));
    try {
      await Promise.all(tricklers.map((c) => c.connected));
      await sleep(200); // both are at the server before the legitimate batch
      const res = await httpRequest(port, 'POST', '/api/records/batch/', {
        body: { records: [SEED_CREATE_PAYLOAD, SEED_CREATE_PAYLOAD] },
        headers: { authorization: `Bearer ${t.key}` },
        timeoutMs: 10_000, // the gate held by the tricklers made it wait for their 30 s request timeout
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.count, 2);
      // Ordering, not timing: the tricklers were still far from the end of their bodies when the batch was stored.
      for (const c of tricklers) assert.ok(c.sent() < 300, `a trickler sent ${c.sent()} bytes`);
      for (const c of tricklers) {
        const closed = await Promise.race([c.closed.then(() => true), sleep(10_000).then(() => false)]);
        assert.ok(closed, 'the server closed the connection'); // the client never does before this point
        const [headers, body] = c.received().split('\r\n\r\n');
        assert.match(headers, /^HTTP\/1\.1 401 /);
        assert.match(headers, /\r\nconnection: close(\r\n|$)/i);
        assert.equal(errorCodeOf(JSON.parse(body)), 'unauthorized');
        assert.ok(c.sent() < 1_000_000);
      }
    } finally {
      for (const c of tricklers) c.stop();
    }
  });
});
