import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import { ConfigError, loadConfig } from '../src/config.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { errorCodeOf, sleep } from './helpers/http.ts';
import { listen, rawConnection } from './helpers/listen.ts';
import { STORE_KINDS } from './helpers/stores.ts';

const LIMIT = 64 * 1024;

for (const kind of STORE_KINDS) {
  describe(`request bodies with a Content-Encoding [${kind}] (TALLY_BODY_LIMIT_BYTES=65536)`, () => {
    let t: TestApp;
    let port: number;
    before(async () => {
      t = await startTestApp(kind, { TALLY_BODY_LIMIT_BYTES: String(LIMIT) });
      port = await listen(t);
    });
    after(() => t.close());

    const send = async (body: Buffer, encoding: string, url = '/api/records/create/') => {
      const res = await t.app.http.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${t.key}`, 'content-type': 'application/json', 'content-encoding': encoding },
        payload: body,
      });
      return { status: res.statusCode, body: res.json(), headers: res.headers };
    };
    const count = async () => (await t.request('GET', '/api/records/list/')).body.count as number;

    test('gzip and deflate bodies are decoded and stored as sent, on create and batch', async () => {
      const record = { field_1: 'héllo, gzip', field_10: 'customer_gz', field_9: { k: 'v' } };
      const gz = await send(zlib.gzipSync(JSON.stringify(record)), 'gzip');
      assert.equal(gz.status, 201, JSON.stringify(gz.body));
      assert.equal(gz.body.field_1, 'héllo, gzip');
      assert.equal((await send(zlib.gzipSync(JSON.stringify(record)), 'X-GZIP')).status, 201, 'x-gzip, any case');
      const deflated = await send(zlib.deflateSync(JSON.stringify(record)), 'deflate');
      assert.equal(deflated.status, 201, JSON.stringify(deflated.body));
      const batch = await send(zlib.gzipSync(JSON.stringify({ records: [record, record] })), 'gzip', '/api/records/batch/');
      assert.equal(batch.status, 201, JSON.stringify(batch.body));
      assert.equal((await send(Buffer.from(JSON.stringify(record)), 'identity')).status, 201);
      const stored = await t.request('POST', '/api/records/list/', { filters: { field_10: { operator: '', value: ['customer_gz'] } } });
      assert.equal(stored.body.count, 6);
      assert.ok(stored.body.results.every((r: any) => r.field_1 === 'héllo, gzip'));
    });

    test('a body that decodes past the limit is 413 (the limit is on the decoded size), answered before the rest is sent', async () => {
      // 16 MiB of spaces, about 16 KiB compressed: well under the limit on the wire, 256 times over it decoded.
      const bomb = zlib.gzipSync(Buffer.alloc(16 * 1024 * 1024, ' '));
      assert.ok(bomb.length < LIMIT / 2);
      const before = await count();
      const whole = await send(bomb, 'gzip');
      assert.equal(whole.status, 413);
      assert.equal(errorCodeOf(whole.body), 'payload_too_large');
      // Over a socket, only the first half of the compressed body is sent: the server must not wait for the rest.
      const c = rawConnection(port);
      try {
        await c.connected;
        c.socket.write(
          `POST /api/records/create/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.key}\r\nContent-Type: application/json\r\n` +
            `Content-Encoding: gzip\r\nContent-Length: ${bomb.length}\r\n\r\n`,
        );
        c.socket.write(bomb.subarray(0, bomb.length / 2));
        const answered = await Promise.race([c.closed.then(() => true), sleep(10_000).then(() => false)]);
        assert.ok(answered, 'answered and closed with half the body unsent');
        const [head, body] = c.received().split('\r\n\r\n');
        assert.match(head, /^HTTP\/1\.1 413 /);
        assert.equal(errorCodeOf(JSON.parse(body)), 'payload_too_large');
      } finally {
        c.socket.destroy();
      }
      assert.equal(await count(), before, 'nothing stored');
    });

    test('a corrupt or truncated gzip body is 400 bad_request naming gzip; nothing is stored', async () => {
      const before = await count();
      const good = zlib.gzipSync(JSON.stringify({ field_1: 'x'.repeat(1000) }));
      for (const [body, why] of [
        [Buffer.from(JSON.stringify({ field_1: 'plain' })), /incorrect header check/],
        [good.subarray(0, good.length - 12), /unexpected end of file/],
      ] as const) {
        const res = await send(body, 'gzip');
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.equal(errorCodeOf(res.body), 'bad_request');
        assert.match(res.body.error.message, /not valid gzip/);
        assert.match(res.body.error.message, why);
      }
      assert.equal(await count(), before);
    });

    test('any other Content-Encoding is 415 naming what is accepted; nothing is stored', async () => {
      const before = await count();
      for (const encoding of ['br', 'zstd', 'gzip, br', 'compress']) {
        const res = await send(Buffer.from('{}'), encoding);
        assert.equal(res.status, 415, encoding);
        assert.equal(errorCodeOf(res.body), 'unsupported_media_type');
        assert.match(res.body.error.message, /gzip, deflate or identity/);
      }
      assert.equal(await count(), before);
    });
  });
}

describe('the body limit setting', () => {
  test('TALLY_BODY_LIMIT_BYTES is capped at 256 MiB, below the longest string V8 can make of a body', () => {
    assert.equal(loadConfig({ TALLY_BODY_LIMIT_BYTES: String(256 * 1024 * 1024) }).bodyLimitBytes, 256 * 1024 * 1024);
    for (const big of [256 * 1024 * 1024 + 1, 600_000_000, 1024 * 1024 * 1024]) {
      assert.throws(
        () => loadConfig({ TALLY_BODY_LIMIT_BYTES: String(big) }),
        (e) => e instanceof ConfigError && /^TALLY_BODY_LIMIT_BYTES must be an integer between 1024 and 268435456/.test(e.message),
      );
    }
  });
});
