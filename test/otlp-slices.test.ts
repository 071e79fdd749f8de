import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { createOtlpIngest, SLICE_ITEMS } from '../src/otlp/ingest.ts';
import { createRecordsService, HANDOVER_RECORDS } from '../src/records/service.ts';
import type { Store } from '../src/store/types.ts';
import { createWriteQueue, type WriteQueue } from '../src/store/write-queue.ts';
import { startTestApp, TEST_ORG, type TestApp } from './helpers/app.ts';
import { logRecord, logsRequest, logsToProtobuf, request, span, toProtobuf, type Encoding } from './helpers/otlp.ts';
import { STORE_KINDS } from './helpers/stores.ts';

/** The batch span processor's default: what an instrumented app sends per request. */
const SPANS = 512;
const BOUNDS = { perOrgEvents: 5000, perOrgBytes: 8 << 20, events: 50_000, bytes: 64 << 20, maxAgeMs: 600_000 };

const chatSpan = (i: number) =>
  span({
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 10 + i,
      'gen_ai.usage.output_tokens': 5,
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: `question ${i}` }] }]),
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: `answer ${i}` }] }]),
    },
  });

const body = (req: Record<string, unknown>, encoding: Encoding, pb: (r: Record<string, unknown>) => Buffer) =>
  encoding === 'protobuf' ? pb(req) : Buffer.from(JSON.stringify(req));

/**
 * How a request's work is cut for the event loop, checked by its structure rather than by a clock: the OTLP ingest
 * reports each slice (slicer.ts, via the ingest's onSlice) on the real records service, write queue and store.
 */
for (const kind of STORE_KINDS) {
  describe(`OTLP work in slices [${kind}]`, () => {
    let t: TestApp;
    let queue: WriteQueue;
    let committed = 0; // by the write queue's group commits, or by the store's open insert (Store.openInsert)
    let queued = 0; // committed by the write queue
    let streamed = 0; // added to the store's open insert
    let slices: { items: number; handedOver: number }[] = [];
    let ingest: ReturnType<typeof createOtlpIngest>;
    /** Records that may wait on the event loop, read and not handed over, at a slice's end. */
    let waitAtMost = 0;
    before(async () => {
      t = await startTestApp(kind);
      queue = createWriteQueue(t.store, {
        maxPending: 10_000,
        maxFlights: t.store.writeFlights,
        log: pino({ level: 'silent' }),
        onCommit: (records) => {
          committed += records;
          queued += records;
        },
      });
      // The real store, its open insert's adds counted (SQLite; PostgreSQL has none: records go to the write queue).
      const store: Store = Object.create(t.store);
      const open = t.store.openInsert;
      if (open)
        store.openInsert = (bounds) => {
          const stream = open(bounds);
          const add = (records: Parameters<typeof stream.add>[0]) => {
            streamed += records.length;
            stream.add(records);
          };
          return { ...stream, add };
        };
      // A slice's records go to the store as it ends (SQLite); to the write queue HANDOVER_RECORDS at a time (PostgreSQL).
      waitAtMost = open ? SLICE_ITEMS : HANDOVER_RECORDS;
      const records = createRecordsService(store, queue, { onBatchCommit: (n) => (committed += n) });
      // At each slice's end: its items, and how many records the store or the queue had been given by then.
      const onSlice = (items: number) => slices.push({ items, handedOver: streamed + queue.depth() + queued });
      ingest = createOtlpIngest(records, { store: t.store, bounds: BOUNDS }, { onSlice });
    });
    after(() => t.close());

    for (const encoding of ['protobuf', 'json'] as const) {
      test(`${encoding}: a ${SPANS}-span request is read in slices of at most ${SLICE_ITEMS} spans, handed to the store while the rest are read`, async () => {
        slices = [];
        committed = 0;
        queued = 0;
        streamed = 0;
        const spans = Array.from({ length: SPANS }, (_, i) => chatSpan(i));
        const result = await ingest.traces(TEST_ORG, body(request(spans), encoding, toProtobuf), encoding);
        assert.deepEqual(result, { rejected: 0, errorMessage: '' });
        assert.equal(committed, SPANS, 'every span is a committed record');

        assert.ok(
          slices.every((s) => s.items <= SLICE_ITEMS),
          `no slice reads more than ${SLICE_ITEMS}: ${slices.map((s) => s.items)}`,
        );
        assert.equal(
          slices.reduce((n, s) => n + s.items, 0),
          SPANS,
          'the slices cover the spans',
        );
        // JSON: the body's check, decode and parse are slices of their own, of no span, before the first span's
        if (encoding === 'json')
          assert.deepEqual(
            slices.slice(0, 4).map((s) => s.items),
            [0, 0, 0, SLICE_ITEMS],
          );
        // Pipelined: at the end of each slice, fewer than waitAtMost of the spans read so far wait to be handed to the
        // store (SQLite: its open insert) or the write queue (waiting or committed; a commit that is ending may be seen
        // in both, hence at least). The last slice ends with every record handed over.
        let read = 0;
        for (const s of slices) {
          read += s.items;
          assert.ok(s.handedOver > read - waitAtMost, `${s.handedOver} records handed over after ${read} spans`);
        }
        assert.ok(slices[slices.length - 1].handedOver >= SPANS);
      });
    }

    test(`logs: a request of ${SPANS} log records is read in slices of at most ${SLICE_ITEMS}`, async () => {
      slices = [];
      const records = Array.from({ length: SPANS }, (_, i) => logRecord({ body: `line ${i}` }));
      const result = await ingest.logs(TEST_ORG, body(logsRequest(records), 'protobuf', logsToProtobuf), 'protobuf');
      assert.deepEqual(result, { rejected: 0, errorMessage: '' });
      assert.equal(
        slices.reduce((n, s) => n + s.items, 0),
        SPANS,
        'the slices cover the log records',
      );
      assert.ok(
        slices.every((s) => s.items <= SLICE_ITEMS),
        `no slice reads more than ${SLICE_ITEMS}: ${slices.map((s) => s.items)}`,
      );
    });
  });
}
