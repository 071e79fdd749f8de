import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { SpanProblem } from '../src/otlp/attributes.ts';

import { OTLP } from '../src/otlp/proto.ts';
import { type OtlpSpan, protobufSpans } from '../src/otlp/decode.ts';

// A protobuf span is read first with a oneof per AnyValue member (proto.ts PlainSpan: protobufjs's oneof setter
// cost about a third of a span's decode), then, when a value has two members set, again with the exact types, whose oneof keeps
// the last member on the wire. Either way the span must read as the exact types alone read it.

const anyValue = (v: Record<string, unknown>) => OTLP.Span.root.lookupType('opentelemetry.proto.common.v1.AnyValue').encode(v).finish();
const keyValue = OTLP.Span.root.lookupType('opentelemetry.proto.common.v1.KeyValue');

/** A Span's bytes with one attribute whose AnyValue is `valueBytes` as given (two members may follow each other). */
function spanBytes(valueBytes: Uint8Array, key = 'k'): Uint8Array {
  // KeyValue { key = 1; value = 2 } with the value's bytes as they are (a message field is length-delimited bytes).
  const kv = Buffer.concat([
    keyValue.encode({ key }).finish(),
    Buffer.from([0x12]),
    Buffer.from(varint(valueBytes.length)),
    Buffer.from(valueBytes),
  ]);
  const span = OTLP.Span.encode({
    traceId: Buffer.alloc(16, 1),
    spanId: Buffer.alloc(8, 2),
    name: 'chat gpt-4o',
    startTimeUnixNano: 1_700_000_000_000_000_000n.toString(),
    endTimeUnixNano: 1_700_000_001_000_000_000n.toString(),
  }).finish();
  // Span.attributes = 9 (repeated KeyValue)
  return Buffer.concat([Buffer.from(span), Buffer.from([0x4a]), Buffer.from(varint(kv.length)), kv]);
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

/** The request around one span's bytes, as protobufSpans reads it (the views leave the span undecoded). */
function request(span: Uint8Array): Uint8Array {
  const scopeSpans = Buffer.concat([Buffer.from([0x12]), Buffer.from(varint(span.length)), Buffer.from(span)]); // spans = 2
  const resourceSpans = Buffer.concat([Buffer.from([0x12]), Buffer.from(varint(scopeSpans.length)), scopeSpans]); // scope_spans = 2
  return Buffer.concat([Buffer.from([0x0a]), Buffer.from(varint(resourceSpans.length)), resourceSpans]); // resource_spans = 1
}

const read = (span: Uint8Array) => protobufSpans(request(span))[0].read() as OtlpSpan | SpanProblem;
const exactly = (span: Uint8Array) => {
  const m = OTLP.Span.toObject(OTLP.Span.decode(span), { longs: String }) as { attributes?: { value?: Record<string, unknown> }[] };
  return m.attributes?.[0]?.value;
};

test('a value with two members on the wire reads as the last, as the oneof of the exact types keeps it', () => {
  const both = Buffer.concat([anyValue({ stringValue: 'first' }), anyValue({ intValue: 7 })]);
  const span = read(spanBytes(both)) as OtlpSpan;
  assert.equal(span.attributes.get('k'), 7);
  assert.deepEqual(exactly(spanBytes(both)), { intValue: '7' }, 'protobufjs alone keeps the last member');
  const back = Buffer.concat([anyValue({ intValue: 7 }), anyValue({ stringValue: 'last' })]);
  assert.equal((read(spanBytes(back)) as OtlpSpan).attributes.get('k'), 'last');
  // A member sent twice (the same one) is no ambiguity: the last value.
  const twice = Buffer.concat([anyValue({ stringValue: 'a' }), anyValue({ stringValue: 'b' })]);
  assert.equal((read(spanBytes(twice)) as OtlpSpan).attributes.get('k'), 'b');
  // Empty members count as set, as the oneof counts them.
  assert.equal((read(spanBytes(anyValue({ stringValue: '' }))) as OtlpSpan).attributes.get('k'), '');
  assert.equal((read(spanBytes(anyValue({ boolValue: false }))) as OtlpSpan).attributes.get('k'), false);
  assert.equal((read(spanBytes(new Uint8Array(0))) as OtlpSpan).attributes.get('k'), null);
});

const valueArb: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.string().map((s) => ({ stringValue: s })),
  fc.boolean().map((b) => ({ boolValue: b })),
  fc.integer().map((i) => ({ intValue: i })),
  fc.double({ noNaN: true }).map((d) => ({ doubleValue: d })),
  fc.uint8Array({ maxLength: 8 }).map((b) => ({ bytesValue: b })),
  fc.array(fc.string(), { maxLength: 3 }).map((xs) => ({ arrayValue: { values: xs.map((x) => ({ stringValue: x })) } })),
);

test('any one or two values on the wire read as the exact types read them (property)', () => {
  fc.assert(
    fc.property(fc.array(valueArb, { minLength: 1, maxLength: 3 }), (values) => {
      const bytes = Buffer.concat(values.map((v) => anyValue(v)));
      const got = (read(spanBytes(bytes)) as OtlpSpan).attributes.get('k');
      // The exact types' own answer: decode with them alone and read the member their oneof names.
      const exact = OTLP.Span.decode(spanBytes(bytes)) as unknown as { attributes: { value: Record<string, unknown> }[] };
      const v = exact.attributes[0].value;
      const member = v.value as string;
      const expected =
        member === 'stringValue' || member === 'boolValue' || member === 'doubleValue'
          ? v[member]
          : member === 'intValue'
            ? Number(v.intValue)
            : member === 'bytesValue'
              ? Buffer.from(v.bytesValue as Uint8Array).toString('base64')
              : member === 'arrayValue'
                ? ((v.arrayValue as { values: { stringValue?: string }[] }).values ?? []).map((x) => x.stringValue ?? '')
                : null;
      assert.deepEqual(got, expected);
    }),
    { numRuns: 300 },
  );
});
