import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { addressKey } from '../src/http/connection-caps.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { errorCodeOf, httpRequest, sleep } from './helpers/http.ts';
import { listen, rawConnection, trickle } from './helpers/listen.ts';

/** On Linux every 127.x.y.z is loopback: attackers and a legitimate client get addresses of their own. */
const ATTACKER = '127.0.0.2';
const OTHER_ATTACKER = '127.0.0.4';
const CLIENT = '127.0.0.3';

/** A slowloris connection: a request line, then a header byte every 200 ms (at most 100, 20 s). */
const slowHeaders = (port: number, localAddress: string) =>
  trickle(port, { first: 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ', rest: 'a'.repeat(100), everyMs: 200, localAddress });

/** Resolves true when the connection closes within the bound (a broken build takes far longer), else false. */
const closesWithin = (c: { closed: Promise<number> }, ms: number) => Promise.race([c.closed.then(() => true), sleep(ms).then(() => false)]);

/** Asserts a raw reply is 503 overloaded in the error shape with Retry-After, then the connection closed. */
function assertOverloaded(received: string): void {
  const [head, body] = received.split('\r\n\r\n');
  assert.match(head, /^HTTP\/1\.1 503 /, `got: ${JSON.stringify(received.slice(0, 80))}`);
  assert.match(head, /\r\nretry-after: 1(\r\n|$)/i);
  assert.match(head, /\r\nconnection: close(\r\n|$)/i);
  assert.equal(errorCodeOf(JSON.parse(body)), 'overloaded');
}

const healthzFrom = (port: number, localAddress: string) => httpRequest(port, 'GET', '/healthz', { localAddress, timeoutMs: 10_000 });

describe('whose share a connection counts against', () => {
  test('an IPv4 address and its IPv4-mapped IPv6 forms count as one; IPv6 clients count per /64', () => {
    for (const form of ['127.0.0.2', '::ffff:127.0.0.2', '::FFFF:127.0.0.2', '::ffff:7f00:2', '0:0:0:0:0:ffff:7f00:0002']) {
      assert.equal(addressKey(form), '127.0.0.2', form);
    }
    assert.equal(addressKey('2001:db8::1'), addressKey('2001:db8:0:0:ffff::2'));
    assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.notEqual(addressKey('2001:db8::1'), addressKey('2001:db8:0:1::1'));
    assert.equal(addressKey('fe80::1%eth0'), addressKey('fe80::2'));
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
    assert.notEqual(addressKey('10.0.0.1'), addressKey('10.0.0.2'));
  });
});

describe('connection caps over real sockets (TALLY_MAX_CONNECTIONS=8, TALLY_MAX_CONNECTIONS_PER_IP=4)', () => {
  let t: TestApp;
  let port: number;
  const open: { stop(): void }[] = [];
  before(async () => {
    t = await startTestApp('sqlite', { TALLY_MAX_CONNECTIONS: '8', TALLY_MAX_CONNECTIONS_PER_IP: '4' });
    port = await listen(t);
  });
  afterEach(async () => {
    for (const c of open.splice(0)) c.stop();
    await sleep(100); // the server sees the closes
  });
  after(() => t.close());

  test('one address trickling headers on many connections holds its share only; another address is served', async () => {
    const attack = Array.from({ length: 12 }, () => slowHeaders(port, ATTACKER));
    open.push(...attack);
    await Promise.all(attack.map((c) => c.connected));
    await sleep(300); // every connection is accepted before the client comes
    const res = await healthzFrom(port, CLIENT);
    assert.equal(res.status, 200);
    // Four hold their places (still trickling); the eight over the address's share got a 503 and were closed.
    const refused = attack.filter((c) => c.received() !== '');
    assert.equal(refused.length, 8, 'eight refused');
    for (const c of refused) {
      assert.ok(await closesWithin(c, 5000), 'a refused connection is closed');
      assertOverloaded(c.received());
    }
    const held = attack.filter((c) => c.received() === '');
    assert.ok(
      held.every((c) => !c.socket.destroyed && c.sent() < 100),
      'the four admitted are still open, still trickling',
    );
    const metrics = await t.request('GET', '/metrics');
    assert.match(String(metrics.body), /tally_rejections_total\{code="overloaded"\} [1-9]/);
  });

  test('past TALLY_MAX_CONNECTIONS a new connection gets 503 overloaded with Retry-After, not a reset; the server recovers', async () => {
    const attack = [
      ...Array.from({ length: 4 }, () => slowHeaders(port, ATTACKER)),
      ...Array.from({ length: 4 }, () => slowHeaders(port, OTHER_ATTACKER)),
    ];
    open.push(...attack);
    await Promise.all(attack.map((c) => c.connected));
    await sleep(300);
    assert.ok(
      attack.every((c) => c.received() === ''),
      'all eight admitted',
    );
    const extra = rawConnection(port, CLIENT);
    open.push({ stop: () => extra.socket.destroy() });
    await extra.connected;
    extra.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.ok(await closesWithin(extra, 5000), 'the connection over the cap is closed');
    assertOverloaded(extra.received());
    // A client of node:http reads the 503 as a reply, not as a socket error.
    const res = await healthzFrom(port, CLIENT);
    assert.equal(res.status, 503);
    assert.equal(errorCodeOf(res.body), 'overloaded');
    assert.equal(res.headers['retry-after'], '1');
    for (const c of attack) c.stop();
    await sleep(200);
    assert.equal((await healthzFrom(port, CLIENT)).status, 200);
  });
});

describe('headers timeout, separate from the request timeout (TALLY_HEADERS_TIMEOUT_MS=500, TALLY_REQUEST_TIMEOUT_MS=20000)', () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await startTestApp('sqlite', { TALLY_HEADERS_TIMEOUT_MS: '500', TALLY_REQUEST_TIMEOUT_MS: '20000' });
    port = await listen(t);
  });
  after(() => t.close());

  test('a client trickling its headers gets 408 and is closed while a client trickling its body goes on and is served', async () => {
    const body = JSON.stringify({ field_1: 'x'.repeat(20) });
    const slowBody = trickle(port, {
      first: `POST /api/records/create/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.key}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
      rest: body,
      everyMs: 100,
    });
    const slowHead = slowHeaders(port, ATTACKER);
    try {
      assert.ok(await closesWithin(slowHead, 15_000), 'the header trickler is closed');
      // Ordering: the body, sent at the same pace from the same moment, was not complete when the headers timed out.
      assert.ok(slowBody.sent() < body.length, `the body trickler had sent ${slowBody.sent()} of ${body.length}`);
      const [head, json] = slowHead.received().split('\r\n\r\n');
      assert.match(head, /^HTTP\/1\.1 408 /);
      assert.equal(errorCodeOf(JSON.parse(json)), 'request_timeout');
      assert.ok(await closesWithin(slowBody, 15_000), 'the body trickler is answered');
      assert.match(slowBody.received(), /^HTTP\/1\.1 201 /);
    } finally {
      slowBody.stop();
      slowHead.stop();
    }
  });

  test('the headers timeout follows a shorter request timeout, and may not exceed it', () => {
    assert.equal(loadConfig({}).headersTimeoutMs, 10_000);
    assert.equal(loadConfig({ TALLY_REQUEST_TIMEOUT_MS: '500' }).headersTimeoutMs, 500);
    assert.throws(
      () => loadConfig({ TALLY_HEADERS_TIMEOUT_MS: '5000', TALLY_REQUEST_TIMEOUT_MS: '1000' }),
      /TALLY_HEADERS_TIMEOUT_MS \(5000\) must not exceed TALLY_REQUEST_TIMEOUT_MS/,
    );
    assert.equal(loadConfig({}).maxConnectionsPerIp, 256);
  });
});
