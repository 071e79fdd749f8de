import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { tempDir } from './helpers/app.ts';
import { startServer } from './helpers/server-process.ts';
import { POSTGRES_AVAILABLE, TEST_PG_URL } from './helpers/stores.ts';

const execFileAsync = promisify(execFile);
/** Runs a command that must exit by itself; one still running after 60 s (a start that hangs) is killed and fails. */
const run = (file: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }) =>
  execFileAsync(file, args, { ...opts, encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
const ROOT = new URL('..', import.meta.url).pathname;

describe('start-up and keys', () => {
  test('the first start creates one org and key and prints the key once; the key works', async () => {
    const dir = tempDir();
    const s = await startServer({ TALLY_DATA_DIR: dir });
    try {
      const key = /\n {2}(tly_\S+)\n/.exec(s.output())?.[1];
      assert.ok(key, s.output());
      const res = await fetch(`http://127.0.0.1:${s.port}/api/records/list/`, {
        headers: { authorization: `Bearer ${key}` },
        signal: AbortSignal.timeout(30_000),
      });
      assert.equal(res.status, 200);
      const logLines = s
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'));
      assert.ok(
        logLines.every((l) => !l.includes(key!)),
        'the key is printed, not logged',
      );
    } finally {
      await s.stop();
    }
    const again = await startServer({ TALLY_DATA_DIR: dir });
    try {
      assert.doesNotMatch(again.output(), /tly_/, 'a second start prints no key');
    } finally {
      await again.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('TALLY_INIT_ORG_ID + TALLY_INIT_API_KEY are ensured idempotently', async () => {
    const dir = tempDir();
    const env = { TALLY_DATA_DIR: dir, TALLY_INIT_ORG_ID: 'org_boot', TALLY_INIT_API_KEY: 'boot-key-1234567890' };
    for (let i = 0; i < 2; i++) {
      const s = await startServer(env);
      try {
        assert.doesNotMatch(s.output(), /tly_/);
        const res = await fetch(`http://127.0.0.1:${s.port}/api/records/create/`, {
          method: 'POST',
          headers: { authorization: 'Bearer boot-key-1234567890', 'content-type': 'application/json' },
          body: '{}',
          signal: AbortSignal.timeout(30_000),
        });
        assert.equal(res.status, 201);
        assert.equal((await res.json()).org_id, 'org_boot');
      } finally {
        await s.stop();
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('bad configuration exits non-zero with a clear message', async () => {
    for (const env of [{ TALLY_INIT_ORG_ID: 'org_x' }, { TALLY_INIT_ORG_ID: 'org_x', TALLY_INIT_API_KEY: 'short' }, { PORT: 'eighty' }]) {
      const err = await run(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
        cwd: ROOT,
        env: { ...process.env, TALLY_DATA_DIR: tempDir(), ...env },
      }).catch((e) => e);
      assert.equal(err.code, 1, JSON.stringify(env));
      assert.match(err.stderr, /^tally: .*(TALLY_|PORT)/m);
    }
  });

  test('a setting the system refuses at start is named, without a stack trace', async () => {
    const file = `${tempDir()}/a-file`;
    fs.writeFileSync(file, 'not a directory');
    const boot = tempDir();
    const first = await startServer({ TALLY_DATA_DIR: boot, TALLY_INIT_ORG_ID: 'org_one', TALLY_INIT_API_KEY: 'shared-key-0123456789' });
    await first.stop();
    const cases: [Record<string, string>, RegExp][] = [
      [{ TALLY_DATA_DIR: file }, /^tally: TALLY_DATA_DIR \(.*a-file\): /m],
      [{ TALLY_DATA_DIR: tempDir(), HOST: 'not a host' }, /^tally: HOST:PORT \(not a host:/m],
      [
        { TALLY_DATA_DIR: boot, TALLY_INIT_ORG_ID: 'org_two', TALLY_INIT_API_KEY: 'shared-key-0123456789' },
        /^tally: TALLY_INIT_API_KEY already belongs to an org other than TALLY_INIT_ORG_ID \(org_two\)$/m,
      ],
    ];
    for (const [env, message] of cases) {
      const err = await run(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
        cwd: ROOT,
        env: { ...process.env, PORT: '0', ...env },
      }).catch((e) => e);
      assert.equal(err.code, 1, JSON.stringify(env));
      assert.match(err.stderr, message, err.stderr);
      assert.doesNotMatch(err.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  test('a TALLY_DATABASE_URL that cannot be reached exits with one line naming it, without a stack trace', async () => {
    const url = (change: (u: URL) => void) => {
      const u = new URL(TEST_PG_URL);
      change(u);
      return u.toString();
    };
    const cases: [string, RegExp][] = [['postgres://postgres@127.0.0.1:1/test', /connect ECONNREFUSED 127\.0\.0\.1:1$/]];
    if (POSTGRES_AVAILABLE) {
      cases.push([url((u) => (u.pathname = '/tally_no_such_database')), /database "tally_no_such_database" does not exist$/]);
      cases.push([url((u) => (u.username = 'tally_no_such_role')), /role "tally_no_such_role" does not exist$/]);
    }
    for (const [databaseUrl, why] of cases) {
      const err = await run(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
        cwd: ROOT,
        env: { ...process.env, PORT: '0', TALLY_DATABASE_URL: databaseUrl },
      }).catch((e) => e);
      assert.equal(err.code, 1, databaseUrl);
      const lines = err.stderr.trim().split('\n');
      assert.equal(lines.length, 1, err.stderr);
      assert.match(lines[0], /^tally: TALLY_DATABASE_URL: cannot connect to PostgreSQL: /);
      assert.match(lines[0], why);
    }
  });

  test('one server owns a SQLite data directory: a second refuses to start naming the first; the CLI works beside it; after a SIGKILL a server starts again', async () => {
    const dir = tempDir();
    const env = { TALLY_DATA_DIR: dir, TALLY_INIT_ORG_ID: 'org_own', TALLY_INIT_API_KEY: 'own-key-0123456789abcdef' };
    const first = await startServer(env);
    try {
      for (const args of [['dist/server.js'], ['bin/tally.js', 'serve']]) {
        const err = await run(process.execPath, args, { cwd: ROOT, env: { ...process.env, PORT: '0', ...env } }).catch((e) => e);
        assert.equal(err.code, 1, `${args.join(' ')}: ${err.stdout ?? ''}${err.stderr ?? ''}`);
        assert.match(
          err.stderr,
          new RegExp(`^tally: TALLY_DATA_DIR \\(.*\\): another Tally server \\(pid ${first.pid}\\) is running on this data directory`, 'm'),
        );
        assert.doesNotMatch(err.stderr, /\n\s+at /, 'no stack trace');
      }
      // The CLI is not a server: it works beside the one running.
      const { stdout } = await run('npx', ['tally', 'keys', 'create', '--org', 'org_own'], {
        cwd: ROOT,
        env: { ...process.env, TALLY_DATA_DIR: dir },
      });
      const key = stdout.trim().split('\n').at(-1)!;
      const res = await fetch(`http://127.0.0.1:${first.port}/api/records/list/`, {
        headers: { authorization: `Bearer ${key}` },
        signal: AbortSignal.timeout(30_000),
      });
      assert.equal(res.status, 200);
      first.child.kill('SIGKILL'); // no clean stop: the system drops the lock with the process
      await first.exited;
      const next = await startServer(env);
      await next.stop();
    } finally {
      await first.stop().catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('npx tally serve starts the same server, and stops cleanly on SIGTERM', async () => {
    const dir = tempDir();
    const s = await startServer({ TALLY_DATA_DIR: dir }, 60_000, ['bin/tally.js', 'serve']);
    try {
      const res = await fetch(`http://127.0.0.1:${s.port}/healthz`, { signal: AbortSignal.timeout(30_000) });
      assert.equal(res.status, 200);
      assert.deepEqual(await s.stop('SIGTERM'), { code: 0, signal: null });
    } finally {
      await s.stop().catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('npx tally keys create --org prints a working key as its last line', async () => {
    const dir = tempDir();
    const { stdout } = await run('npx', ['tally', 'keys', 'create', '--org', 'org_cli'], {
      cwd: ROOT,
      env: { ...process.env, TALLY_DATA_DIR: dir },
    });
    const key = stdout.trim().split('\n').at(-1)!;
    assert.match(key, /^tly_[A-Za-z0-9_-]{32}$/);
    const s = await startServer({ TALLY_DATA_DIR: dir });
    try {
      const res = await fetch(`http://127.0.0.1:${s.port}/api/records/create/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: '{"field_1":"hi"}',
        signal: AbortSignal.timeout(30_000),
      });
      assert.equal(res.status, 201);
      assert.equal((await res.json()).org_id, 'org_cli');
      assert.doesNotMatch(s.output(), /tly_/, 'a store with a key gets no bootstrap key');
    } finally {
      await s.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const usage = await run('npx', ['tally', 'keys', 'create'], { cwd: ROOT, env: { ...process.env, TALLY_DATA_DIR: dir } }).catch(
      (e) => e,
    );
    assert.equal(usage.code, 2);
  });
});
