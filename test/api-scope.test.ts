import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WEB_ROOT } from '../src/http/web.ts';
import { VENDOR_ROUTES } from '../src/http/web-vendor.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { errorCodeOf, sleep } from './helpers/http.ts';
import { listen, rawConnection } from './helpers/listen.ts';

/** Routes that answer without a key on purpose, by name (the explorer's files are added from web/ below). */
const OPEN = [
  'GET /healthz',
  'GET /readyz',
  'GET /metrics',
  'GET /openapi.json',
  'GET /',
  'GET /docs',
  'GET /docs/json',
  'GET /docs/yaml',
  'GET /docs/static/index.html',
  'GET /docs/static/swagger-initializer.js',
  'GET /docs/static/*',
  'OPTIONS *', // CORS preflight (browsers send it without credentials), present when TALLY_CORS_ORIGINS is set
];

/** Every file the explorer serves, as its route. */
function explorerFiles(dir = WEB_ROOT): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? explorerFiles(full) : [`GET /${path.relative(WEB_ROOT, full).split(path.sep).join('/')}`];
  });
}

describe('every route is authenticated or open by name', () => {
  let t: TestApp;
  let port: number;
  let routes: string[];
  before(async () => {
    // Without authentication before the body, the socket probes below would wait for bodies never sent: 408.
    // CORS on, so that its preflight route is registered too.
    t = await startTestApp('sqlite', { TALLY_REQUEST_TIMEOUT_MS: '3000', TALLY_CORS_ORIGINS: 'https://app.example.com' });
    port = await listen(t);
    routes = t.app.routes.filter((r) => !r.startsWith('HEAD ')); // HEAD goes with its GET
  });
  after(() => t.close());

  /** The authenticated scopes: /api, and /v1 (OTLP/HTTP, whose errors are a google.rpc.Status). */
  const authenticated = (r: string) => /^\/(api|v1)\//.test(r.split(' ')[1]);
  const apiRoutes = (methods: readonly string[] = routes) => methods.filter(authenticated);
  /** The refusal in the route's own error shape: Tally's code, or OTLP's Status with gRPC's UNAUTHENTICATED (16). */
  const isUnauthorized = (route: string, body: any) =>
    route.split(' ')[1].startsWith('/v1/')
      ? body.code === 16 && /^unauthorized: /.test(body.message)
      : errorCodeOf(body) === 'unauthorized';
  const sample = (route: string) => {
    const [method, url] = route.split(' ');
    return { method, url: url.replace(':resource_id', 'record_01J00000000000000000000000').replace(/\*$/, 'index.css') };
  };

  test('the routes are the /api and /v1 routes and the open ones listed by name, nothing else', () => {
    assert.ok(apiRoutes().length >= 8, `the routes were collected: ${routes.join('; ')}`);
    assert.ok(apiRoutes().includes('POST /v1/traces'), 'OTLP/HTTP traces are authenticated');
    const open = routes.filter((r) => !authenticated(r));
    assert.deepEqual(
      open.sort(),
      [...OPEN, ...explorerFiles(), ...VENDOR_ROUTES.map((r) => `GET ${r}`)].sort(),
      'a route outside /api must be added to OPEN on purpose',
    );
  });

  test('every /api and /v1 route without a key is 401 unauthorized; every open route answers without one', async () => {
    for (const route of apiRoutes(t.app.routes)) {
      for (const authorization of [undefined, 'Bearer not-a-key-0000000000']) {
        const { method, url } = sample(route);
        const res = await t.app.http.inject({ method: method as 'GET', url, headers: authorization ? { authorization } : {} });
        assert.equal(res.statusCode, 401, `${route} with ${authorization ?? 'no key'}`);
        if (method !== 'HEAD') assert.ok(isUnauthorized(route, res.json()), `${route}: ${res.body}`);
      }
    }
    for (const route of routes.filter((r) => !authenticated(r))) {
      const { method, url } = sample(route);
      const headers = method === 'OPTIONS' ? { origin: 'https://app.example.com', 'access-control-request-method': 'POST' } : {};
      const res = await t.app.http.inject({ method: method as 'GET', url: url === '*' ? '/api/records/create/' : url, headers });
      assert.ok(res.statusCode < 400, `${route} answers ${res.statusCode} without a key`);
    }
  });

  test('a request without a key that announces a body is refused before the body is read, and its connection closed', async () => {
    for (const route of apiRoutes()) {
      const { method, url } = sample(route);
      const c = rawConnection(port);
      try {
        await c.connected;
        c.socket.write(`${method} ${url} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n`);
        const closed = await Promise.race([c.closed.then(() => true), sleep(10_000).then(() => false)]);
        assert.ok(closed, `${route}: the server closed the connection`);
        const [head, body] = c.received().split('\r\n\r\n');
        assert.match(head, /^HTTP\/1\.1 401 /, route);
        assert.match(head, /\r\nconnection: close(\r\n|$)/i, route);
        assert.ok(isUnauthorized(route, JSON.parse(body)), `${route}: ${body}`);
      } finally {
        c.socket.destroy();
      }
    }
  });
});
