import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pino from 'pino';
import { parseAnalyticsParams } from '../src/query/analytics-params.ts';
import { deriveRecord } from '../src/records/derive.ts';
import { planRollup } from '../src/records/rollup-plan.ts';
import { encodeRecord } from '../src/store/encoded-record.ts';
import { createPostgresStore } from '../src/store/postgres/store.ts';
import { freshSchemaUrl, POSTGRES_AVAILABLE } from './helpers/stores.ts';

/**
 * PostgreSQL adds a rollup read's rows up on the event loop, so a read brings back at most ROLLUP_READ_ROWS of them;
 * past that it answers null and the request is a scan inside PostgreSQL (docs/analytics.md). Here the bound is 5.
 */
describe('PostgreSQL rollup reads are bounded', { skip: !POSTGRES_AVAILABLE && 'PostgreSQL is not reachable' }, () => {
  test('a read of more rows than the bound answers null (the request scans); one within it answers its rows', async () => {
    const store = await createPostgresStore({
      url: await freshSchemaUrl(),
      poolSize: 4,
      rollupReadRows: 5,
      log: pino({ level: 'silent' }),
    });
    try {
      const org = 'org_bound';
      await store.insert(
        Array.from({ length: 8 }, (_, i) =>
          encodeRecord(deriveRecord({ field_2: 'x', field_10: `c${i}`, field_7: 1 + i, timestamp: '2026-05-01T10:15:00Z' }, org)),
        ),
      );
      const ask = (extra: Record<string, unknown>) => {
        const q = parseAnalyticsParams(
          { param_a: '2026-05-01T10:00:00Z', end: '2026-05-01T11:00:00Z', interval: 'hour', group_by: 'field_10', ...extra },
          Date.now() * 1000,
        );
        const read = planRollup(q);
        assert.ok(read, 'the rollups can serve it');
        assert.equal(read.parts[0].table, 'rollups_customer_hour');
        return store.rollupAnalytics(org, read, q);
      };
      assert.equal(await ask({}), null, 'eight customers: eight rows, past the bound');
      const some = await ask({ filters: { field_10: { operator: 'in', value: ['c1', 'c2', 'c3'] } } });
      assert.ok(some, 'three rows are within it');
      assert.equal(some.length, 3);
    } finally {
      await store.close();
    }
  });
});
