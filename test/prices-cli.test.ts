import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { tempDir } from './helpers/app.ts';
import { sleep } from './helpers/http.ts';
import { startServer } from './helpers/server-process.ts';
import { tallyCli } from './helpers/cli.ts';
import { freshSchemaUrl, STORE_KINDS } from './helpers/stores.ts';

/** The promise: a price changed by the CLI is used by a running server within 5 s (docs/derived-fields.md). */
const CHANGE_BOUND_MS = 5000;
const KEY = 'prices-cli-key-0123456789';

for (const kind of STORE_KINDS) {
  test(`npx tally prices set, list and remove, beside a running server [${kind}]`, async () => {
    const dir = tempDir();
    const env: Record<string, string> = kind === 'sqlite' ? { TALLY_DATA_DIR: dir } : { TALLY_DATABASE_URL: await freshSchemaUrl() };
    const tally = tallyCli(env);

    const server = await startServer({ ...env, TALLY_INIT_ORG_ID: 'org_cli', TALLY_INIT_API_KEY: KEY });
    const create = async (model: string) => {
      const res = await fetch(`http://127.0.0.1:${server.port}/api/records/create/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ field_4: model, field_5: { sub_field_a: 1_000_000, sub_field_b: 1_000_000 } }),
        signal: AbortSignal.timeout(30_000),
      });
      assert.equal(res.status, 201);
      return (await res.json()) as { id: string; field_6: number | null };
    };
    /** Creates records until one costs `cost`, for at most CHANGE_BOUND_MS after the CLI returned; the record that did. */
    const costWithinBound = async (model: string, cost: number | null) => {
      const start = performance.now();
      let r = await create(model);
      for (let i = 0; i < 1000 && r.field_6 !== cost && performance.now() - start < CHANGE_BOUND_MS; i++) {
        await sleep(100);
        r = await create(model);
      }
      assert.equal(r.field_6, cost, `${model}: the server did not use the change within ${CHANGE_BOUND_MS} ms`);
      return r;
    };
    try {
      const unpriced = await create('acme-70b-ft');
      assert.equal(unpriced.field_6, null);

      const set = await tally('prices', 'set', '--model', 'acme-*', '--input', '2', '--output', '4', '--org', 'org_cli');
      assert.equal(set.code, 0, set.stderr);
      assert.match(set.stdout, /Set the price of "acme-\*" for org org_cli: \$2 input, \$4 output per 1M tokens/);
      const priced = await costWithinBound('acme-70b-ft', 6);

      const server_wide = await tally('prices', 'set', '--model', 'acme-70b-ft', '--input', '1', '--output', '1', '--cache-read', '0.1');
      assert.equal(server_wide.code, 0, server_wide.stderr);
      assert.match(server_wide.stdout, /for the whole server: \$1 input, \$1 output per 1M tokens, \$0.1 cache read/);
      await sleep(CHANGE_BOUND_MS / 2);
      assert.equal((await create('acme-70b-ft')).field_6, 6, "the org's own price beats the server's, however specific");

      const list = await tally('prices', 'list', '--org', 'org_cli');
      assert.equal(list.code, 0, list.stderr);
      const lines = list.stdout.trim().split('\n');
      assert.equal(lines.length, 2, list.stdout);
      assert.match(lines[0], /^org_cli {2}"acme-\*" {2}input 2 {2}output 4 {2}cache_read - {2}cache_write - {2}from always {2}set \S+Z$/);
      assert.match(lines[1], /^\(server\) {2}"acme-70b-ft" {2}input 1 {2}output 1 {2}cache_read 0.1 /);

      // Bad input: refused with a message, nothing stored.
      const bad = [
        [['prices', 'set', '--model', 'acme-*', '--input', '-1', '--output', '1'], 2, /input must be a number of USD per 1M tokens from 0/],
        [['prices', 'set', '--model', 'acme-?', '--input', '1', '--output', '1'], 2, /model uses "\?"/],
        [['prices', 'set', '--model', 'acme', '--input', '1'], 2, /output is required/],
        [['prices', 'set', '--input', '1', '--output', '1'], 2, /--model <name or pattern> is required/],
        [
          ['prices', 'set', '--model', 'm', '--input', '1', '--output', '1', '--from', 'soon'],
          2,
          /effective_from must be an ISO 8601 time/,
        ],
        [['prices', 'set', '--model', 'm', '--input', '1', '--output', '1', '--org', 'org_nope'], 1, /No org "org_nope"/],
        [['prices', 'list', '--org', 'org_nope'], 1, /No org "org_nope"/],
        [['prices', 'remove', '--model', 'never-set', '--org', 'org_cli'], 1, /No price for "never-set" in org org_cli/],
        [['prices', 'remove', '--model', 'acme-*', '--input', '1'], 2, /takes --model, --org and --from/],
      ] as const;
      for (const [args, code, message] of bad) {
        const res = await tally(...args);
        assert.equal(res.code, code, `${args.join(' ')}: ${res.stderr}`);
        assert.match(res.stderr, message, args.join(' '));
      }
      assert.equal((await tally('prices', 'list')).stdout.trim().split('\n').length, 2, 'nothing stored by the refused commands');

      const removed = await tally('prices', 'remove', '--model', 'acme-*', '--org', 'org_cli');
      assert.equal(removed.code, 0, removed.stderr);
      assert.match(removed.stdout, /Removed 1 price of "acme-\*" for org org_cli/);
      await costWithinBound('acme-70b-ft', 2); // the server's price applies now
      const read = await fetch(`http://127.0.0.1:${server.port}/api/records/${priced.id}/`, {
        headers: { authorization: `Bearer ${KEY}` },
        signal: AbortSignal.timeout(30_000),
      });
      assert.equal(((await read.json()) as { field_6: number }).field_6, 6, 'a record keeps the cost it was stored with');

      const audit = await tally('audit', '--org', 'org_cli');
      assert.match(audit.stdout, /cli {2}price_removed {2}\{"model":"acme-\*","effective_from":"all"\}/);
      assert.match(audit.stdout, /cli {2}price_set {2}\{"model":"acme-\*","org_id":"org_cli","input":2,"output":4/);
    } finally {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
