import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { recordTail } from '../src/otlp/map-span.ts';
import type { HeldEvent, HeldEventBounds } from '../src/store/span-events.ts';
import { startTestApp, TEST_ORG } from './helpers/app.ts';
import { logRecord, logsRequest, request, sendLogs, sendTraces, span } from './helpers/otlp.ts';
import { STORE_KINDS } from './helpers/stores.ts';

const ids = () => ({ traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex') });
const chatSpan = (at: ReturnType<typeof ids>) =>
  span({ ...at, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 3 } });
const userEvent = (at: ReturnType<typeof ids>, content: string) =>
  logRecord({ ...at, eventName: 'gen_ai.user.message', body: { content } });

/** A held event as the logs route makes it, for the store's own tests. */
function held(orgId: string, at: ReturnType<typeof ids>, content: string): HeldEvent {
  return {
    ...at,
    recordTail: recordTail(orgId, at.traceId, at.spanId),
    side: 'input',
    key: randomBytes(16).toString('hex'),
    at: 1n,
    messages: JSON.stringify([{ role: 'user', content }]),
  };
}

const BOUNDS: HeldEventBounds = { perOrgEvents: 1000, perOrgBytes: 1 << 20, events: 1000, bytes: 1 << 20, maxAgeMs: 60_000 };

for (const kind of STORE_KINDS) {
  describe(`held GenAI events [${kind}]`, () => {
    test('events held before a restart join the span that arrives after it', async () => {
      const first = await startTestApp(kind);
      const at = ids();
      try {
        assert.equal((await sendLogs(first, logsRequest([userEvent(at, 'before the restart')]), 'json')).status, 200);
      } finally {
        await first.app.close(); // the store closes; its file (or schema) stays
      }
      const again = await startTestApp(kind, {
        TALLY_DATA_DIR: first.dataDir,
        ...(first.databaseUrl ? { TALLY_DATABASE_URL: first.databaseUrl } : {}),
      });
      try {
        assert.equal((await sendTraces(again, request([chatSpan(at)]), 'json')).status, 200);
        const res = await again.request('POST', '/api/records/list/', { filters: { field_13: { operator: '', value: [at.traceId] } } });
        assert.deepEqual(JSON.parse(res.body.results[0].field_1), [{ role: 'user', content: 'before the restart' }]);
      } finally {
        await again.close();
        fs.rmSync(first.dataDir, { recursive: true, force: true });
      }
    });

    test('held events expire after maxAgeMs; bounds in bytes and overall drop the oldest, of any org', async () => {
      const t = await startTestApp(kind);
      try {
        const now = Date.now();
        const a = ids();
        const b = ids();
        let out = await t.store.joinSpanEvents(TEST_ORG, [held(TEST_ORG, a, 'a'), held(TEST_ORG, b, 'b')], [], BOUNDS, now);
        assert.deepEqual(out, { joined: 0, late: 0, filled: 0, dropped: 0, expired: 0 });
        out = await t.store.joinSpanEvents(TEST_ORG, [], [], BOUNDS, now + BOUNDS.maxAgeMs - 1);
        assert.equal(out.expired, 0);
        out = await t.store.joinSpanEvents(TEST_ORG, [], [], BOUNDS, now + BOUNDS.maxAgeMs + 1);
        assert.equal(out.expired, 2);
        assert.equal((await sendTraces(t, request([chatSpan(a)]), 'json')).status, 200);
        const res = await t.request('POST', '/api/records/list/', { filters: { field_13: { operator: '', value: [a.traceId] } } });
        assert.equal(res.body.results[0].field_1, null, 'an expired event joins nothing');

        // Overall: two events at most, whichever org holds them; the oldest go first.
        const tight = { ...BOUNDS, events: 2 };
        const spans = [ids(), ids(), ids()];
        out = await t.store.joinSpanEvents('org_other', [held('org_other', spans[0], 'x')], [], tight, now + 1);
        assert.equal(out.dropped, 0);
        out = await t.store.joinSpanEvents(TEST_ORG, [held(TEST_ORG, spans[1], 'y')], [], tight, now + 2);
        assert.equal(out.dropped, 0);
        out = await t.store.joinSpanEvents(TEST_ORG, [held(TEST_ORG, spans[2], 'z')], [], tight, now + 3);
        assert.equal(out.dropped, 1, "the other org's older event");
        // In bytes per org: room for one of these.
        const big = (at: ReturnType<typeof ids>) => held(TEST_ORG, at, 'w'.repeat(3000));
        out = await t.store.joinSpanEvents(TEST_ORG, [big(ids()), big(ids())], [], { ...BOUNDS, perOrgBytes: 4000 }, now + 4);
        assert.equal(out.dropped, 3, 'y, z and the older of the two');
      } finally {
        await t.close();
      }
    });
  });
}
