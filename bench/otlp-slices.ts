/**
 * How long each slice of an OTLP request holds the event loop: `tsx bench/otlp-slices.ts [requests=20]`. Sends the
 * otlp scenario's 512-span request, as protobuf and as OTLP/JSON, through the real ingest, records service, write
 * queue and a SQLite store in a temporary directory, and prints each encoding's slices (slicer.ts SLICE_ITEMS):
 * count, p50, p99 and longest, in ms. A slice is timed from the turn of the event loop that resumed it to its end
 * (onSlice). On a shared machine the longest include the time the process was not scheduled at all, so it also
 * prints the longest of the slices' fastest times (each slice of the request, fastest over the requests).
 * Not part of `npm run bench` (and no test: tests hold the slices by count, test/otlp-slices.test.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { createOtlpIngest } from '../src/otlp/ingest.ts';
import { OTLP } from '../src/otlp/proto.ts';
import { createRecordsService } from '../src/records/service.ts';
import { createStore } from '../src/store/factory.ts';
import { createWriteQueue } from '../src/store/write-queue.ts';
import { rollingRequest } from './otlp-body.ts';
import { BENCH_ORG } from './processes.ts';

const requests = Number(process.argv[2] ?? 20);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-slices-'));
const log = createLogger('warn');
const store = await createStore(loadConfig({ TALLY_DATA_DIR: dir }), log);
const queue = createWriteQueue(store, { maxPending: 100_000, maxFlights: store.writeFlights, log });
let resumed = performance.now();
let times: number[] = [];
const onSlice = () => {
  times.push(performance.now() - resumed);
  setImmediate(() => (resumed = performance.now())); // queued before the ingest's own turn: it runs first
};
const held = { store, bounds: { perOrgEvents: 5000, perOrgBytes: 8 << 20, events: 50_000, bytes: 64 << 20, maxAgeMs: 600_000 } };
const ingest = createOtlpIngest(createRecordsService(store, queue), held, { onSlice });

/** The rolling protobuf request as OTLP/JSON (hex ids, 64-bit integers as strings). */
function asJson(body: Buffer): Buffer {
  const hex = (v: unknown) => Buffer.from(String(v), 'base64').toString('hex');
  const o = OTLP.ExportTraceServiceRequest.toObject(OTLP.ExportTraceServiceRequest.decode(body), { longs: String, bytes: String });
  for (const rs of o.resourceSpans)
    for (const ss of rs.scopeSpans) for (const s of ss.spans) Object.assign(s, { traceId: hex(s.traceId), spanId: hex(s.spanId) });
  return Buffer.from(JSON.stringify(o));
}

try {
  const rolling = rollingRequest(512);
  for (const encoding of ['protobuf', 'json'] as const) {
    const all: number[] = [];
    const fastest: number[] = []; // by the slice's place in the request
    let slices = 0;
    for (let i = 0; i < requests + 2; i++) {
      const body = encoding === 'protobuf' ? Buffer.from(rolling.next()) : asJson(rolling.next());
      times = [];
      resumed = performance.now();
      await ingest.traces(BENCH_ORG, body, encoding);
      if (i < 2) continue; // warm-up
      all.push(...times);
      for (const [k, ms] of times.entries()) fastest[k] = Math.min(fastest[k] ?? Infinity, ms);
      slices += times.length;
    }
    all.sort((a, b) => a - b);
    const at = (q: number) => all[Math.min(all.length - 1, Math.floor(q * all.length))].toFixed(2);
    console.log(
      `${encoding}: ${slices / requests} slices a request; ms p50 ${at(0.5)}, p99 ${at(0.99)}, longest ${all[all.length - 1].toFixed(2)}; ` +
        `longest of the fastest ${Math.max(...fastest).toFixed(2)} (slice ${fastest.indexOf(Math.max(...fastest))})`,
    );
  }
} finally {
  await queue.drain();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
