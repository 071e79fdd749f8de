/**
 * What one span costs the event loop, step by step: `tsx bench/otlp-span-cost.ts [rounds]`. Reads the otlp
 * scenario's 512-span protobuf request again and again and reports the fastest round's µs per span for each step
 * added in turn (the fastest, as the machine is shared: slower rounds are other processes' time). Not part of
 * `npm run bench`: it says where the scenario's time goes.
 */
import { validateCreateBody } from '../src/fields/validate.ts';
import { SpanProblem } from '../src/otlp/attributes.ts';
import { protobufSpans } from '../src/otlp/decode.ts';
import { mapSpan } from '../src/otlp/map-span.ts';
import { deriveRecord } from '../src/records/derive.ts';
import { encodeRecord } from '../src/store/encoded-record.ts';
import { otlpRequest } from './otlp-body.ts';
import { BENCH_ORG } from './processes.ts';

const SPANS = 512;
const rounds = Number(process.argv[2] ?? 40);
const body = otlpRequest(0, SPANS, BigInt(Date.now()) * 1_000_000n);

const steps = {
  read: () => {
    for (const p of protobufSpans(body)) if (p.read() instanceof SpanProblem) throw new Error('a span did not read');
  },
  '+ map': () => {
    for (const p of protobufSpans(body)) {
      const span = p.read();
      if (span instanceof SpanProblem) throw span;
      mapSpan(BENCH_ORG, span, p.resource);
    }
  },
  '+ validate': () => {
    for (const p of protobufSpans(body)) {
      const span = p.read();
      if (span instanceof SpanProblem) throw span;
      const m = mapSpan(BENCH_ORG, span, p.resource);
      if (m.kind === 'record') validateCreateBody(m.body);
    }
  },
  '+ derive + encode': () => {
    for (const p of protobufSpans(body)) {
      const span = p.read();
      if (span instanceof SpanProblem) throw span;
      const m = mapSpan(BENCH_ORG, span, p.resource);
      if (m.kind === 'record') encodeRecord(deriveRecord(validateCreateBody(m.body), BENCH_ORG, m.id));
    }
  },
};
for (const [name, fn] of Object.entries(steps)) {
  for (let i = 0; i < 5; i++) fn();
  let best = Infinity;
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  console.log(`${name.padEnd(20)} ${((best * 1000) / SPANS).toFixed(1).padStart(6)} µs/span`);
}
