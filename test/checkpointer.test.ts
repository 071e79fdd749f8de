import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { deriveRecord } from '../src/records/derive.ts';
import { encodeRecord } from '../src/store/encoded-record.ts';
import { CHECKPOINT_EVERY_MS } from '../src/store/sqlite/checkpointer-client.ts';
import { startTestApp, TEST_ORG, type TestApp } from './helpers/app.ts';

/**
 * SQLite appends commits to the WAL; only a checkpoint copies them into the database file. The writer thread
 * checkpoints only past 4,000 pages (16 MB), so for a few hundred records the file grows only if the checkpointer
 * thread does its work. The records are read back after, from the file and WAL together, as always.
 */
describe('the checkpointer thread [sqlite]', () => {
  let t: TestApp;
  before(async () => (t = await startTestApp('sqlite')));
  after(() => t.close());

  test('copies committed pages into the database file without the writer checkpointing', async () => {
    const file = path.join(t.dataDir, 'tally.db');
    const text = 'checkpointed '.repeat(150); // ~2 KB a record: 400 records are ~200 pages, far below the writer's 4,000
    const startSize = fs.statSync(file).size;
    for (let b = 0; b < 4; b++) {
      await t.store.insert(
        Array.from({ length: 100 }, (_, i) => encodeRecord(deriveRecord({ field_2: `${text}${b * 100 + i}` }, TEST_ORG))),
      );
    }
    const walPages = fs.statSync(`${file}-wal`).size / 4096;
    assert.ok(walPages > 150 && walPages < 4000, `the WAL holds the inserts (${walPages} pages) and is below the writer's checkpoint size`);
    const deadline = Date.now() + CHECKPOINT_EVERY_MS * 30;
    while (fs.statSync(file).size < startSize + 150 * 4096 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const grown = (fs.statSync(file).size - startSize) / 4096;
    assert.ok(grown >= 150, `the database file grew by ${grown} pages`);
    const list = await t.request(
      'GET',
      `/api/records/list/?param_c=1&filters=${encodeURIComponent(JSON.stringify({ field_2: { operator: 'startswith', value: 'checkpointed' } }))}`,
    );
    assert.equal(list.body.count, 400);
  });
});
