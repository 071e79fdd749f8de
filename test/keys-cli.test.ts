import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { tempDir } from './helpers/app.ts';
import { sleep } from './helpers/http.ts';
import { startServer } from './helpers/server-process.ts';
import { tallyCli } from './helpers/cli.ts';
import { freshSchemaUrl, STORE_KINDS } from './helpers/stores.ts';

/** The contract's bound: a key revoked by the CLI is refused by the running server within 5 s (docs/keys.md). */
const REVOKE_BOUND_MS = 5000;

for (const kind of STORE_KINDS) {
  test(`npx tally keys create, list, revoke and audit, beside a running server [${kind}]`, async () => {
    const dir = tempDir();
    const env: Record<string, string> = kind === 'sqlite' ? { TALLY_DATA_DIR: dir } : { TALLY_DATABASE_URL: await freshSchemaUrl() };
    const tally = tallyCli(env);
    const list = async () => {
      const res = await tally('keys', 'list', '--org', 'org_cli');
      assert.equal(res.code, 0, res.stderr);
      return res.stdout.trim().split('\n').filter(Boolean);
    };

    const created = await tally('keys', 'create', '--org', 'org_cli', '--scope', 'ingest', '--name', 'ci ingest');
    assert.equal(created.code, 0, created.stderr);
    const secret = created.stdout.trim().split('\n').at(-1)!;
    assert.match(secret, /^tly_[A-Za-z0-9_-]{32}$/, 'the key is the last line');
    const id = /Created API key (key_[0-9a-f]{24}) \(scope ingest, name "ci ingest"\) for org org_cli/.exec(created.stdout)?.[1];
    assert.ok(id, created.stdout);
    const admin = await tally('keys', 'create', '--org', 'org_cli');
    assert.equal(admin.code, 0, admin.stderr);
    assert.match(admin.stdout, /\(scope admin\)/, 'admin is the default scope');

    const server = await startServer(env);
    const url = `http://127.0.0.1:${server.port}`;
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    try {
      assert.equal((await call('POST', '/api/records/create/', { field_1: 'from ci' })).status, 201);
      const read = await call('GET', '/api/records/list/');
      assert.equal(read.status, 403);
      assert.match(((await read.json()) as { error: { message: string } }).error.message, /"read" scope/);

      let lines = await list();
      assert.equal(lines.length, 2, lines.join('\n'));
      const line = lines.find((l) => l.startsWith(`${id} `))!;
      assert.match(line, /^key_[0-9a-f]{24} {2}"ci ingest" {2}ingest {2}created \S+ {2}last used \S+ {2}active$/);
      assert.ok(!lines.join('\n').includes(secret), 'the list never prints a secret');

      // Bad input: refused with a message, nothing stored.
      const bad = [
        [['keys', 'create', '--org', 'org_cli', '--scope', 'writer'], 2, /--scope must be "ingest", "read" or "admin"; got "writer"/],
        [['keys', 'create', '--org', 'org_cli', '--name', '  '], 2, /--name must not be blank/],
        [['keys', 'create', '--scope', 'read'], 2, /--org <org_id> is required/],
        [['keys', 'list'], 2, /--org <org_id> is required/],
        [['keys', 'revoke'], 2, /a key id is required/],
        [['keys', 'revoke', 'key_nope'], 1, /No API key "key_nope"/],
      ] as const;
      for (const [args, code, message] of bad) {
        const res = await tally(...args);
        assert.equal(res.code, code, `${args.join(' ')}: ${res.stderr}`);
        assert.match(res.stderr, message, args.join(' '));
      }
      assert.equal((await list()).length, 2, 'no key was created by the refused commands');

      const revoked = await tally('keys', 'revoke', id);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.match(revoked.stdout, new RegExp(`Revoked API key ${id} of org org_cli`));
      const start = performance.now();
      let status = 0;
      for (let i = 0; i < 1000 && performance.now() - start < REVOKE_BOUND_MS; i++) {
        status = (await call('POST', '/api/records/create/', { field_1: 'after revoke' })).status;
        if (status === 401) break;
        await sleep(50);
      }
      assert.equal(status, 401, `the server still accepted the key ${REVOKE_BOUND_MS} ms after the CLI revoked it`);

      lines = await list();
      assert.match(lines.find((l) => l.startsWith(`${id} `))!, / {2}revoked \S+Z$/, 'a revoked key stays listed, marked revoked');
      const again = await tally('keys', 'revoke', id);
      assert.equal(again.code, 0);
      assert.match(again.stdout, /already revoked/);

      const audit = await tally('audit', '--org', 'org_cli');
      assert.equal(audit.code, 0, audit.stderr);
      const entries = audit.stdout.trim().split('\n');
      assert.equal(entries.length, 3, audit.stdout);
      assert.match(entries[0], new RegExp(`^\\S+Z {2}cli {2}key_revoked {2}\\{"key_id":"${id}"\\}$`));
      assert.match(entries[2], new RegExp(`^\\S+Z {2}cli {2}key_created {2}\\{"key_id":"${id}","name":"ci ingest","scope":"ingest"\\}$`));
    } finally {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
