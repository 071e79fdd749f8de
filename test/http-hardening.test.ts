import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.ts';
import { createRateLimiter } from '../src/auth/rate-limit.ts';
import { registerSecurityHeaders } from '../src/http/security-headers.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';

const SECURITY = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' };

describe('security headers', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('sqlite');
  });
  after(() => t.close());

  test('every kind of response carries nosniff, no-referrer, DENY and a CSP forbidding framing', async () => {
    const created = await t.request('POST', '/api/records/create/', {});
    const responses = [
      created,
      await t.request('GET', `/api/records/${created.body.id}/`),
      await t.request('GET', '/api/records/list/'),
      await t.request('GET', '/api/records/list/', undefined, { authorization: 'Bearer wrong-key-0123456789' }),
      await t.request('POST', '/api/records/create/', '{not json'),
      await t.request('GET', '/nowhere'),
      await t.request('GET', '/healthz'),
      await t.request('GET', '/metrics'),
      await t.request('GET', '/openapi.json'),
    ];
    for (const res of responses) {
      for (const [name, value] of Object.entries(SECURITY)) assert.equal(res.headers[name], value, `${name} on a ${res.status}`);
      assert.equal(res.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'");
    }
    const docs = await t.request('GET', '/docs/');
    assert.match(String(docs.headers['content-type']), /text\/html/);
    assert.equal(docs.headers['x-frame-options'], 'DENY');
    assert.equal(
      docs.headers['content-security-policy'],
      "frame-ancestors 'none'",
      'HTML pages keep their scripts; only framing is forbidden',
    );
  });

  test('a Content-Security-Policy set by a route (a web page) is kept', async () => {
    const app = Fastify();
    registerSecurityHeaders(app);
    app.get('/', async (_req, reply) => reply.type('text/html').header('content-security-policy', "default-src 'self'").send('<p>hi</p>'));
    const res = await app.inject({ method: 'GET', url: '/' });
    assert.equal(res.headers['content-security-policy'], "default-src 'self'");
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    await app.close();
  });
});

describe('CORS', () => {
  test('off by default: no Access-Control-Allow-Origin, preflight is a 404', async () => {
    const t = await startTestApp('sqlite');
    try {
      const res = await t.request('GET', '/api/records/list/', undefined, { origin: 'https://app.example.com' });
      assert.equal(res.status, 200);
      assert.equal(res.headers['access-control-allow-origin'], undefined);
      const pre = await t.request('OPTIONS', '/api/records/list/', undefined, {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
      });
      assert.equal(pre.status, 404);
      assert.equal(pre.headers['access-control-allow-origin'], undefined);
    } finally {
      await t.close();
    }
  });

  test('TALLY_CORS_ORIGINS allows exactly the listed origins', async () => {
    const t = await startTestApp('sqlite', { TALLY_CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' });
    try {
      const pre = await t.request('OPTIONS', '/api/records/create/', undefined, {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers['access-control-allow-origin'], 'https://app.example.com');
      assert.match(String(pre.headers['access-control-allow-headers']), /authorization/);
      const res = await t.request('GET', '/api/records/list/', undefined, { origin: 'http://localhost:5173' });
      assert.equal(res.headers['access-control-allow-origin'], 'http://localhost:5173');
      assert.match(String(res.headers['access-control-expose-headers']), /x-request-id/);
      const evil = await t.request('GET', '/api/records/list/', undefined, { origin: 'https://evil.example.com' });
      assert.equal(evil.headers['access-control-allow-origin'], undefined);
    } finally {
      await t.close();
    }
  });
});

describe('configuration of the limits', () => {
  test('defaults: no rate limit, CORS off, 30 s request timeout, 1024 connections', () => {
    const c = loadConfig({});
    assert.equal(c.rateLimitPerSecond, 0);
    assert.deepEqual(c.corsOrigins, []);
    assert.equal(c.requestTimeoutMs, 30_000);
    assert.equal(c.maxConnections, 1024);
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.corsOrigins));
  });

  test('bad values are refused at start with the variable named', () => {
    for (const [name, value] of [
      ['TALLY_RATE_LIMIT_PER_SECOND', '-1'],
      ['TALLY_RATE_LIMIT_BURST', '0'],
      ['TALLY_REQUEST_TIMEOUT_MS', 'soon'],
      ['TALLY_IDLE_TIMEOUT_MS', '1.5'],
      ['TALLY_MAX_CONNECTIONS', '-5'],
      ['TALLY_WRITE_QUEUE_MAX_BYTES', '10'],
      ['TALLY_CORS_ORIGINS', 'app.example.com'],
      ['TALLY_CORS_ORIGINS', 'https://ok.example.com,javascript:alert(1)'],
      ['TALLY_LOG_LEVEL', 'loud'],
    ]) {
      assert.throws(
        () => loadConfig({ [name]: value }),
        (e: unknown) => e instanceof ConfigError && e.message.includes(name),
        `${name}=${value}`,
      );
    }
  });
});

describe('token bucket', () => {
  test('burst, refill at the rate, seconds to wait, bounded number of keys', () => {
    let now = 0;
    const limiter = createRateLimiter({ perSecond: 2, burst: 3, maxKeys: 4, now: () => now });
    assert.deepEqual(
      [1, 2, 3, 4].map(() => limiter.take('a')),
      [0, 0, 0, 1],
    );
    now += 500; // one token back
    assert.equal(limiter.take('a'), 0);
    assert.equal(limiter.take('a'), 1);
    for (let i = 0; i < 100; i++) limiter.take(`key-${i}`);
    assert.ok(limiter.size() <= 4, `at most maxKeys buckets: ${limiter.size()}`);
  });
});
