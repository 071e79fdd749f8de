import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createKey } from '../src/bootstrap.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { attr, decodeStatus, decodeTraceResponse, request, sendTraces, span, START, toProtobuf, type Encoding } from './helpers/otlp.ts';
import { STORE_KINDS } from './helpers/stores.ts';

const ENCODINGS: Encoding[] = ['protobuf', 'json'];

/** A chat span as the current OpenTelemetry GenAI conventions send it. */
const chat = (extra: Record<string, unknown> = {}, spec: Parameters<typeof span>[0] = {}) =>
  span({
    ...spec,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 7,
      'gen_ai.system_instructions': 'Be brief.',
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'Hello?' }] }]),
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'Hi.' }], finish_reason: 'stop' }]),
      'gen_ai.conversation.id': 'conv-1',
      'user.id': 'user-9',
      'server.address': 'api.openai.com',
      ...extra,
    },
  });

for (const kind of STORE_KINDS) {
  describe(`POST /v1/traces [${kind}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(() => t.close());

    const list = async (filters: Record<string, unknown> = {}) => {
      const res = await t.request('POST', '/api/records/list/', { filters });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body as { count: number; results: any[] };
    };
    const byTrace = async (traceId: string) => (await list({ field_13: { operator: '', value: [traceId] } })).results;
    const recordsStored = async () => {
      const text = await t.app.metrics.registry.getSingleMetricAsString('tally_records_stored_total');
      const m = /^tally_records_stored_total (\d+)$/m.exec(text);
      assert.ok(m, text);
      return Number(m[1]);
    };

    for (const encoding of ENCODINGS) {
      test(`${encoding}: a chat span becomes a record with otlp.md's fields; the reply is an empty ExportTraceServiceResponse`, async () => {
        const s = chat({}, { parentSpanId: 'bbbbbbbbbbbbbbbb' });
        const res = await sendTraces(t, request([s], `svc-${encoding}`), encoding);
        assert.equal(res.status, 200, res.raw.toString());
        assert.match(String(res.headers['content-type']), encoding === 'protobuf' ? /^application\/x-protobuf/ : /^application\/json/);
        assert.deepEqual(decodeTraceResponse(res.raw, encoding), { rejectedSpans: 0, errorMessage: '' });
        const [r] = await byTrace(s.traceId as string);
        assert.ok(r, 'the record is stored');
        assert.equal(r.field_3, 'type_a');
        assert.equal(r.field_4, 'gpt-4o-mini-2024-07-18', 'the response model wins');
        assert.deepEqual(r.field_5, { sub_field_a: 12, sub_field_b: 7, sub_field_c: 19 });
        assert.equal(r.tokens_estimated, false);
        assert.ok(r.field_6 > 0, 'priced as any record');
        assert.deepEqual(JSON.parse(r.field_1), [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hello?' },
        ]);
        assert.deepEqual(JSON.parse(r.field_2), [{ role: 'assistant', content: 'Hi.', finish_reason: 'stop' }]);
        assert.equal(r.field_7, 1.5);
        assert.equal(r.field_10, 'user-9');
        assert.equal(r.field_11, 'conv-1');
        assert.equal(r.field_12, s.spanId);
        assert.equal(r.field_13, s.traceId);
        assert.equal(r.field_14, `svc-${encoding}`);
        assert.equal(r.field_15, 'chat gpt-4o-mini');
        assert.equal(r.field_18, 200);
        assert.equal(r.timestamp, '2026-01-01T00:00:00Z');
        assert.deepEqual(r.field_9, {
          'server.address': 'api.openai.com',
          'gen_ai.request.model': 'gpt-4o-mini',
          'service.name': `svc-${encoding}`,
          'otel.parent_span_id': 'bbbbbbbbbbbbbbbb',
        });
      });

      test(`${encoding}: gzip`, async () => {
        const s = chat();
        const res = await sendTraces(t, request([s]), encoding, { gzip: true });
        assert.equal(res.status, 200, res.raw.toString());
        assert.equal((await byTrace(s.traceId as string)).length, 1);
      });

      test(`${encoding}: a span sent again (an exporter's retry) is stored once, and every count stays exact`, async () => {
        const tag = `retry-${encoding}`;
        const spans = [chat({ 'app.tag': tag }), chat({ 'app.tag': tag })];
        const before = (await list()).count;
        const storedBefore = await recordsStored();
        // three times, then the same span twice in one request
        for (const req of [request(spans), request(spans), request(spans), request([spans[0], spans[0]])]) {
          const res = await sendTraces(t, req, encoding);
          assert.equal(res.status, 200);
          assert.deepEqual(decodeTraceResponse(res.raw, encoding), { rejectedSpans: 0, errorMessage: '' }, 'a resend is a success');
        }
        assert.equal((await list()).count, before + 2, 'the org count');
        assert.equal(await recordsStored(), storedBefore + 2, 'tally_records_stored_total counts only the records inserted');
        assert.equal((await list({ field_9__app_tag: { operator: '', value: [tag] } })).count, 0, 'unrelated key');
        assert.equal((await list({ 'field_9__app.tag': { operator: '', value: [tag] } })).count, 2, 'the metadata count');
        assert.equal((await byTrace(spans[0].traceId as string)).length, 1);
      });

      test(`${encoding}: a span that is not about a model is ignored, not rejected, and counted in a metric`, async () => {
        const http = span({ name: 'GET /', attributes: { 'http.request.method': 'GET' } });
        const res = await sendTraces(t, request([http]), encoding);
        assert.equal(res.status, 200);
        assert.deepEqual(decodeTraceResponse(res.raw, encoding), { rejectedSpans: 0, errorMessage: '' });
        assert.equal((await byTrace(http.traceId as string)).length, 0);
        const metrics = await t.app.metrics.registry.getSingleMetricAsString('tally_otlp_spans_total');
        assert.match(metrics, /tally_otlp_spans_total\{outcome="ignored"\} [1-9]/);
      });

      test(`${encoding}: a partial success stores the good spans and counts the others with their reasons`, async () => {
        const good = chat();
        const shortId = chat({}, { traceId: 'abcd' });
        const badTokens = chat({ 'gen_ai.usage.input_tokens': 'many' });
        const badStart = chat({}, { start: 0n });
        const res = await sendTraces(t, request([good, shortId, badTokens, badStart]), encoding);
        assert.equal(res.status, 200, res.raw.toString());
        const reply = decodeTraceResponse(res.raw, encoding);
        assert.equal(reply.rejectedSpans, 3);
        assert.match(reply.errorMessage, /traceId must be 16 bytes/);
        assert.match(reply.errorMessage, /gen_ai\.usage\.input_tokens must be a non-negative integer/);
        assert.match(reply.errorMessage, /startTimeUnixNano is not set/);
        assert.equal((await byTrace(good.traceId as string)).length, 1);
        assert.equal((await byTrace(badTokens.traceId as string)).length, 0);
      });

      test(`${encoding}: a body that does not decode is a 400 google.rpc.Status, and nothing of it is stored`, async () => {
        const good = chat();
        const broken =
          encoding === 'protobuf'
            ? Buffer.concat([toProtobuf(request([good])), Buffer.from([0x0a, 0xff, 0xff, 0x03, 0x01])]) // a truncated resource_spans
            : JSON.stringify({ resourceSpans: [...(request([good]).resourceSpans as unknown[]), { scopeSpans: 'x' }] });
        const res = await sendTraces(t, broken, encoding);
        assert.equal(res.status, 400);
        assert.match(String(res.headers['content-type']), encoding === 'protobuf' ? /^application\/x-protobuf/ : /^application\/json/);
        const status = decodeStatus(res.raw, encoding);
        assert.equal(status.code, 3); // INVALID_ARGUMENT
        assert.match(status.message, /not an OTLP ExportTraceServiceRequest/);
        assert.equal((await byTrace(good.traceId as string)).length, 0, 'the good span before the bad part is not stored');
      });

      test(`${encoding}: a missing or unknown key is a 401 before the body is read`, async () => {
        for (const headers of [{ authorization: '' }, { authorization: 'Bearer not-a-key-0000000000' }]) {
          const res = await sendTraces(t, request([chat()]), encoding, { headers });
          assert.equal(res.status, 401);
          assert.equal(decodeStatus(res.raw, encoding).code, 16); // UNAUTHENTICATED
        }
      });
    }

    test('another content type is a 415', async () => {
      const res = await t.app.http.inject({
        method: 'POST',
        url: '/v1/traces',
        headers: { authorization: `Bearer ${t.key}`, 'content-type': 'text/plain' },
        payload: 'hello',
      });
      assert.equal(res.statusCode, 415);
      assert.match(JSON.parse(res.body).message, /application\/x-protobuf or application\/json/);
    });

    test("the records belong to the caller's org: another org sending the same span gets its own record", async () => {
      const other = await createKey(t.store, 'org_otlp_other');
      const s = chat();
      assert.equal((await sendTraces(t, request([s]), 'json')).status, 200);
      assert.equal((await sendTraces(t, request([s]), 'json', { headers: { authorization: `Bearer ${other}` } })).status, 200);
      assert.equal((await byTrace(s.traceId as string)).length, 1);
      const theirs = await t.request('GET', '/api/records/list/', undefined, { authorization: `Bearer ${other}` });
      assert.equal(theirs.body.count, 1);
    });

    test('a failed span: field_18 from http.response.status_code, field_19 from the status message or the exception', async () => {
      const limited = chat({ 'http.response.status_code': 429 }, { status: { code: 2, message: 'Rate limit reached' } });
      const thrown = chat(
        { 'error.type': 'TimeoutError' },
        {
          status: { code: 2 },
          events: [{ name: 'exception', attributes: { 'exception.message': 'socket hang up' } }],
        },
      );
      assert.equal((await sendTraces(t, request([limited, thrown]), 'protobuf')).status, 200);
      const [a] = await byTrace(limited.traceId as string);
      assert.equal(a.field_18, 429);
      assert.equal(a.field_19, 'Rate limit reached');
      assert.equal(a.status, 'error');
      const [b] = await byTrace(thrown.traceId as string);
      assert.equal(b.field_18, 500);
      assert.equal(b.field_19, 'socket hang up');
    });

    test('hostile spans are rejected one by one, never a 5xx: absurd times, 100,000 attributes, deep nesting, wrong types', async () => {
      let nested: unknown = { stringValue: 'leaf' };
      for (let i = 0; i < 100; i++) nested = { kvlistValue: { values: [{ key: 'k', value: nested }] } };
      const deep = chat();
      (deep.attributes as unknown[]).push({ key: 'deep', value: nested });
      const many = chat();
      for (let i = 0; i < 100_000; i++) (many.attributes as unknown[]).push(attr(`a${i}`, i));
      const late = chat({}, { start: 18_000_000_000_000_000_000n }); // 2540
      const backwards = chat({}, { start: START, end: START - 1n });
      const badCost = chat({ 'gen_ai.usage.cost': 'free' });
      const good = chat();
      for (const encoding of ENCODINGS) {
        const res = await sendTraces(t, request([deep, many, late, backwards, badCost, good]), encoding);
        assert.equal(res.status, 200, res.raw.toString().slice(0, 300));
        const reply = decodeTraceResponse(res.raw, encoding);
        assert.equal(reply.rejectedSpans, 5, reply.errorMessage);
        assert.match(reply.errorMessage, /max depth exceeded|nests deeper than 64 levels/);
        assert.match(reply.errorMessage, /100\d{3} attributes; at most 1024/);
        assert.match(reply.errorMessage, /not between the years 1700 and 2200/);
        assert.match(reply.errorMessage, /endTimeUnixNano is before startTimeUnixNano/);
        assert.match(reply.errorMessage, /gen_ai\.usage\.cost must be a non-negative number/);
      }
      assert.equal((await byTrace(good.traceId as string)).length, 1);
    });
  });
}
