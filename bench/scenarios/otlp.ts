import { validateCreateBody } from '../../src/fields/validate.ts';
import { validateBatchBody } from '../../src/fields/validate-batch.ts';
import { SpanProblem } from '../../src/otlp/attributes.ts';
import { protobufSpans } from '../../src/otlp/decode.ts';
import { mapSpan } from '../../src/otlp/map-span.ts';
import type { BenchContext } from '../context.ts';
import { runLoad } from '../load.ts';
import { otlpRowBodies, rollingRequest } from '../otlp-body.ts';
import { BENCH_KEY, BENCH_ORG, startTally } from '../processes.ts';
import { chatRecord } from '../record-body.ts';
import type { ResultRow } from '../report.ts';
import type { BenchTarget } from '../target.ts';

/** The batch span processor's default batch size: what an instrumented app sends per request. */
const SPANS = 512;
const BATCH = 1000;

/** Microseconds per item of fn over items, repeated until at least `ms` have passed (and at most 10,000 times). */
function perItem(items: number, ms: number, fn: () => void): number {
  for (let i = 0; i < 5; i++) fn(); // warm: the first passes run before the JIT has compiled the path
  let rounds = 0;
  const started = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < ms * 1e6 && rounds < 10_000) {
    fn();
    rounds++;
    elapsed = Number(process.hrtime.bigint() - started);
  }
  return elapsed / 1000 / (rounds * items);
}

/**
 * POST /v1/traces with 512-span protobuf requests (each request new spans of one new trace, timestamps rising),
 * against the storage floor for the records those spans become; and, in this process, what reading a span costs
 * (decode, map, validate) beside what reading one record of a batch request costs (JSON.parse, validate).
 */
export async function otlpScenario(ctx: BenchContext, target: BenchTarget): Promise<ResultRow[]> {
  const { seconds } = ctx.opts;
  const rolling = rollingRequest(SPANS);
  ctx.log(`otlp: ${SPANS} spans (${(rolling.body.length / 1e6).toFixed(2)} MB protobuf) per request, ${seconds} s`);

  const spanBody = Buffer.from(rolling.body);
  // as /v1/traces reads a request: each span decoded, mapped and validated as a create body
  const spanUs = perItem(SPANS, 2000, () => {
    for (const pending of protobufSpans(spanBody)) {
      const span = pending.read();
      if (span instanceof SpanProblem) throw span;
      const mapped = mapSpan(BENCH_ORG, span, pending.resource);
      if (mapped.kind !== 'record') throw new Error('a bench span was ignored');
      validateCreateBody(mapped.body);
    }
  });
  const decodeUs = perItem(SPANS, 500, () => {
    for (const pending of protobufSpans(spanBody)) {
      const span = pending.read();
      if (span instanceof SpanProblem) throw span;
    }
  });
  // as /api/records/batch/ reads a request: the JSON parsed, each record validated
  const batchText = JSON.stringify({ records: Array.from({ length: BATCH }, (_, i) => chatRecord(i)) });
  const batchUs = perItem(BATCH, 2000, () => validateBatchBody(JSON.parse(batchText)));
  const bodies = otlpRowBodies(BATCH);
  const rows: ResultRow[] = [
    {
      scenario: 'otlp',
      case: 'reading one span: protobuf decode + map + validate (µs per span, this process)',
      perSecond: 1e6 / spanUs,
      note: `${spanUs.toFixed(1)} µs/span (the protobuf decode alone ${decodeUs.toFixed(1)} µs)`,
    },
    {
      scenario: 'otlp',
      case: 'reading one batch record: JSON.parse + validate (µs per record, this process)',
      perSecond: 1e6 / batchUs,
      note: `${batchUs.toFixed(1)} µs/record; a span costs ${(spanUs / batchUs).toFixed(2)}× a batch record`,
    },
  ];

  const floor = await target.storageFloor(seconds, bodies);
  rows.push({ scenario: 'otlp', case: `${floor.label}, the spans' records`, perSecond: floor.perSecond });
  // Each case on a fresh store, as the floor is measured: the insert rate falls as the tables grow (the floor for
  // these rows: ~15k/s over 6 s, ~11k/s over 20 s), so a case run after another (100k records in) measured a larger
  // table than its floor did.
  for (const connections of [1, 4]) {
    const loc = await target.fresh(`otlp-${connections}`);
    const server = await startTally(loc.dataDir, loc.databaseUrl);
    try {
      const load = (s: number) =>
        runLoad({
          url: `${server.url}/v1/traces`,
          method: 'POST',
          nextBody: rolling.next,
          contentType: 'application/x-protobuf',
          key: BENCH_KEY,
          connections,
          seconds: s,
        });
      await load(1);
      server.resetPeak();
      const r = await load(seconds);
      const perSecond = r.perSecond * SPANS;
      const failures = r.errors + r.non2xx > 0 ? `; ${r.errors} errors, ${r.non2xx} non-2xx` : '';
      rows.push({
        scenario: 'otlp',
        case: `/v1/traces, ${connections} connection(s) (spans/s; latency per ${SPANS}-span request)`,
        perSecond,
        p50: r.p50,
        p99: r.p99,
        peakRssMb: server.peakRssMb(),
        note: `${(perSecond / floor.perSecond).toFixed(2)}× storage floor (target ≥ 0.7×)${failures}`,
      });
    } finally {
      await server.stop();
    }
  }
  return rows;
}
