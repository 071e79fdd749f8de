import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { extractField22, extractField23 } from '../src/model/extract.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import {
  decodeLogsResponse,
  decodeStatus,
  logRecord,
  logsRequest,
  request,
  sendLogs,
  sendTraces,
  span,
  START,
  type Encoding,
  type LogSpec,
} from './helpers/otlp.ts';
import { STORE_KINDS } from './helpers/stores.ts';

const ENCODINGS: Encoding[] = ['protobuf', 'json'];

/** Fresh ids for one span. */
const ids = () => ({ traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex') });
type Ids = ReturnType<typeof ids>;

/** A chat span as @opentelemetry/instrumentation-openai sends it: tokens and model on the span, the messages in log events. */
const chatSpan = (at: Ids, extra: Record<string, unknown> = {}) =>
  span({
    ...at,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 7,
      ...extra,
    },
  });

/** The events of one call: a system and a user message, and the choice. */
const callEvents = (at: Ids, spec: Partial<LogSpec> = {}) => [
  logRecord({ ...at, ...spec, eventName: 'gen_ai.system.message', time: START + 1n, body: { content: 'Be brief.' } }),
  logRecord({ ...at, ...spec, eventName: 'gen_ai.user.message', time: START + 2n, body: { content: 'Hello?' } }),
  logRecord({
    ...at,
    ...spec,
    eventName: 'gen_ai.choice',
    time: START + 3n,
    body: { index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Hi.' } },
  }),
];
const INPUT = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Hello?' },
];
const OUTPUT = [{ role: 'assistant', content: 'Hi.', finish_reason: 'stop' }];

for (const kind of STORE_KINDS) {
  describe(`POST /v1/logs [${kind}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(() => t.close());

    const list = async (filters: Record<string, unknown> = {}, params: Record<string, unknown> = {}) => {
      const res = await t.request('POST', '/api/records/list/', { ...params, filters });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body as { count: number; results: any[] };
    };
    const recordOf = async (at: Ids) => {
      const { results } = await list({ field_13: { operator: '', value: [at.traceId] } });
      assert.ok(results.length <= 1);
      return results[0];
    };
    const metric = async (name: string, outcome: string) =>
      (await t.app.metrics.registry.getSingleMetric(name)!.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
    const okLogs = async (records: Record<string, unknown>[], encoding: Encoding) => {
      const res = await sendLogs(t, logsRequest(records), encoding);
      assert.equal(res.status, 200, res.raw.toString());
      assert.match(String(res.headers['content-type']), encoding === 'protobuf' ? /^application\/x-protobuf/ : /^application\/json/);
      assert.deepEqual(decodeLogsResponse(res.raw, encoding), { rejectedLogRecords: 0, errorMessage: '' });
    };
    const okTraces = async (spans: Record<string, unknown>[], encoding: Encoding) => {
      const res = await sendTraces(t, request(spans), encoding);
      assert.equal(res.status, 200, res.raw.toString());
    };

    for (const encoding of ENCODINGS) {
      test(`${encoding}: events after their span fill its empty input and output; nothing else of the record changes`, async () => {
        const at = ids();
        await okTraces([chatSpan(at)], encoding);
        const written = await recordOf(at);
        assert.equal(written.field_1, null);
        assert.equal(written.field_2, null);
        const joined = await metric('tally_otlp_held_events_total', 'joined');
        await okLogs(callEvents(at), encoding);
        const r = await recordOf(at);
        assert.deepEqual(JSON.parse(r.field_1), INPUT);
        assert.deepEqual(JSON.parse(r.field_2), OUTPUT);
        const { field_1, field_2, field_22, field_23, ...rest } = r;
        const { field_1: _1, field_2: _2, field_22: _22, field_23: _23, ...before } = written;
        assert.deepEqual(rest, before, 'tokens, cost and every other field as written');
        assert.equal(written.field_22, null);
        assert.deepEqual(field_22, extractField22('type_a', field_1), 'field_22 and field_23 follow field_1 and field_2 (rebuilt on read)');
        assert.deepEqual(field_23, extractField23('type_a', field_2));
        assert.notEqual(field_22, null);
        assert.equal((await t.request('GET', `/api/records/${r.id}/`)).body.field_1, field_1, 'a get reads the same');
        assert.equal(await metric('tally_otlp_held_events_total', 'joined'), joined + 3);
      });

      test(`${encoding}: events before their span, in several requests and out of order, are held and ordered by their time`, async () => {
        const at = ids();
        const [system, user, choice] = callEvents(at);
        await okLogs([choice], encoding);
        await okLogs([user], encoding);
        await okLogs([system], encoding); // the earliest event arrives last
        assert.equal(await recordOf(at), undefined, 'no record before its span');
        await okTraces([chatSpan(at)], encoding);
        const r = await recordOf(at);
        assert.deepEqual(JSON.parse(r.field_1), INPUT);
        assert.deepEqual(JSON.parse(r.field_2), OUTPUT);
      });

      test(`${encoding}: a resent logs request does not repeat messages, before or after the span`, async () => {
        const early = ids();
        await okLogs(callEvents(early), encoding);
        await okLogs(callEvents(early), encoding); // held once
        await okTraces([chatSpan(early)], encoding);
        await okLogs(callEvents(early), encoding); // after the join: the sides are filled, nothing changes
        await okTraces([chatSpan(early)], encoding); // and a resent span neither
        const r = await recordOf(early);
        assert.deepEqual(JSON.parse(r.field_1), INPUT);
        assert.deepEqual(JSON.parse(r.field_2), OUTPUT);

        const late = ids();
        await okTraces([chatSpan(late)], encoding);
        await okLogs(callEvents(late), encoding);
        await okLogs(callEvents(late), encoding);
        assert.deepEqual(JSON.parse((await recordOf(late)).field_1), INPUT);
      });
    }

    test('a gzipped logs request, in both encodings', async () => {
      for (const encoding of ENCODINGS) {
        const at = ids();
        await okTraces([chatSpan(at)], encoding);
        const res = await sendLogs(t, logsRequest(callEvents(at)), encoding, { gzip: true });
        assert.equal(res.status, 200, res.raw.toString());
        assert.deepEqual(decodeLogsResponse(res.raw, encoding), { rejectedLogRecords: 0, errorMessage: '' });
        assert.deepEqual(JSON.parse((await recordOf(at)).field_1), INPUT);
      }
    });

    test('the older event.name attribute, content in attributes, tool messages and calls, and the operation details event', async () => {
      const a = ids();
      await okLogs(
        [
          logRecord({
            ...a,
            eventName: 'gen_ai.user.message',
            eventNameAttribute: true,
            time: START + 1n,
            attributes: { content: 'Weather?' },
          }),
          logRecord({
            ...a,
            eventName: 'gen_ai.assistant.message',
            eventNameAttribute: true,
            time: START + 2n,
            body: { tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }] },
          }),
          logRecord({ ...a, eventName: 'gen_ai.tool.message', time: START + 3n, body: { content: '12°C', id: 'call_1' } }),
        ],
        'json',
      );
      await okTraces([chatSpan(a)], 'protobuf');
      assert.deepEqual(JSON.parse((await recordOf(a)).field_1), [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: '', tool_calls: [{ id: 'call_1', name: 'weather', arguments: '{"city":"Oslo"}' }] },
        { role: 'tool', content: '12°C', tool_call_id: 'call_1' },
      ]);

      const b = ids();
      await okTraces([chatSpan(b)], 'json');
      await okLogs(
        [
          logRecord({
            ...b,
            eventName: 'gen_ai.client.inference.operation.details',
            attributes: {
              'gen_ai.system_instructions': 'Be brief.',
              'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'Hello?' }] }]),
              'gen_ai.output.messages': [{ role: 'assistant', parts: [{ type: 'text', content: 'Hi.' }], finish_reason: 'stop' }],
            },
          }),
        ],
        'protobuf',
      );
      const r = await recordOf(b);
      assert.deepEqual(JSON.parse(r.field_1), INPUT);
      assert.deepEqual(JSON.parse(r.field_2), OUTPUT);
    });

    test('a side the span already has keeps it; the events for it are dropped and counted late', async () => {
      const at = ids();
      await okTraces([chatSpan(at, { 'gen_ai.input.messages': JSON.stringify([{ role: 'user', content: 'From the span.' }]) })], 'json');
      const late = await metric('tally_otlp_held_events_total', 'late');
      await okLogs(callEvents(at), 'json');
      const r = await recordOf(at);
      assert.deepEqual(JSON.parse(r.field_1), [{ role: 'user', content: 'From the span.' }]);
      assert.deepEqual(JSON.parse(r.field_2), OUTPUT, 'the empty side is still filled');
      assert.equal(await metric('tally_otlp_held_events_total', 'late'), late + 2);
    });

    test('unrelated logs, events without a span and events without content are ignored and counted; nothing is held for them', async () => {
      const ignored = await metric('tally_otlp_log_records_total', 'ignored');
      const at = ids();
      await okLogs(
        [
          logRecord({ ...at, body: 'GET /health 200' }), // an ordinary log line of the span
          logRecord({ ...at, eventName: 'browser.page_view', body: { url: '/' } }),
          logRecord({ eventName: 'gen_ai.user.message', body: { content: 'no span' } }),
          logRecord({ ...at, eventName: 'gen_ai.user.message', body: {} }), // content capture off
        ],
        'json',
      );
      assert.equal(await metric('tally_otlp_log_records_total', 'ignored'), ignored + 4);
      await okTraces([chatSpan(at)], 'json');
      const r = await recordOf(at);
      assert.equal(r.field_1, null);
      assert.equal(r.field_2, null);
    });

    test('events only fill the record made from their span, not a record created with the same field_12 and field_13', async () => {
      const at = ids();
      const created = await t.create({ field_3: 'type_a', field_12: at.spanId, field_13: at.traceId, field_4: 'gpt-4o-mini' });
      await okLogs(callEvents(at), 'json');
      assert.equal((await t.request('GET', `/api/records/${created.id}/`)).body.field_1, null);
    });

    test('a body that does not decode is a 400 and holds nothing; wrong types are rejected log records, the rest is taken', async () => {
      for (const encoding of ENCODINGS) {
        const res = await sendLogs(t, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), encoding);
        assert.equal(res.status, 400);
        assert.match(decodeStatus(res.raw, encoding).message, /^bad_request: The body is not an OTLP ExportLogsServiceRequest/);
      }
      const notDecoded = ids();
      const bad = await sendLogs(t, `${JSON.stringify(logsRequest(callEvents(notDecoded))).slice(0, -1)}`, 'json');
      assert.equal(bad.status, 400);

      const at = ids();
      const rejected = await metric('tally_otlp_log_records_total', 'rejected');
      for (const encoding of ENCODINGS) {
        const res = await sendLogs(
          t,
          logsRequest([
            logRecord({ ...at, eventName: 'gen_ai.user.message', body: 42 }),
            logRecord({ ...at, eventName: 'gen_ai.user.message', body: { content: 7 } }),
            logRecord({ ...at, eventName: 'gen_ai.choice', body: { index: 'first', message: { content: 'x' } } }),
            logRecord({ traceId: 'abcd', spanId: at.spanId, eventName: 'gen_ai.user.message', body: { content: 'short trace id' } }),
            logRecord({ ...at, eventName: 'gen_ai.user.message', body: { content: 'a NUL \u0000 here' } }),
            logRecord({ ...at, eventName: 'gen_ai.user.message', time: START + 5n, body: { content: 'kept' } }),
          ]),
          encoding,
        );
        assert.equal(res.status, 200, res.raw.toString());
        const reply = decodeLogsResponse(res.raw, encoding);
        assert.equal(reply.rejectedLogRecords, 5, reply.errorMessage);
        assert.match(reply.errorMessage, /body must be a map or a string, not a number/);
        assert.match(reply.errorMessage, /content must be a string, a list of parts or a map, not a number/);
        assert.match(reply.errorMessage, /index must be an integer, not a string/);
        assert.match(reply.errorMessage, /traceId must be 16 bytes, not [23]/);
        assert.match(reply.errorMessage, /NUL/);
      }
      assert.equal(await metric('tally_otlp_log_records_total', 'rejected'), rejected + 10);
      await okTraces([chatSpan(at)], 'json');
      assert.deepEqual(JSON.parse((await recordOf(at)).field_1), [{ role: 'user', content: 'kept' }], 'held once though sent twice');
    });

    test('a body over the limit is a 413; a missing key a 401; another content type a 415', async () => {
      const big = Buffer.alloc(6 * 1024 * 1024, 0x20);
      assert.equal((await sendLogs(t, big, 'json')).status, 413);
      assert.equal((await sendLogs(t, logsRequest([]), 'json', { headers: { authorization: 'Bearer wrong-key-0123456789' } })).status, 401);
      assert.equal((await sendLogs(t, logsRequest([]), 'json', { headers: { 'content-type': 'text/plain' } })).status, 415);
    });

    test('a filled output is found by a text filter in a time range, and a count remembered before the fill is taken again', async () => {
      const at = ids();
      const word = `needle${randomBytes(4).toString('hex')}`;
      await okTraces([chatSpan(at)], 'json');
      const filters = { field_2: { operator: 'icontains', value: [word] } };
      const params = { param_a: '2025-12-31T00:00:00Z' };
      assert.equal((await list(filters, params)).count, 0);
      assert.equal((await list(filters, params)).count, 0, 'counted again, or remembered');
      await okLogs([logRecord({ ...at, eventName: 'gen_ai.choice', body: { index: 0, message: { content: `a ${word} b` } } })], 'json');
      const found = await list(filters, params);
      assert.equal(found.count, 1);
      assert.equal(found.results[0].field_13, at.traceId);
      assert.equal((await list(filters)).count, 1, 'without the time range too');
    });
  });

  describe(`POST /v1/logs: held events are bounded [${kind}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind, { TALLY_OTLP_HELD_EVENTS_PER_ORG: '3' });
    });
    after(() => t.close());

    test('past the per-org bound the oldest held events are dropped and counted; the newest still join', async () => {
      const spans = Array.from({ length: 5 }, ids);
      for (const [i, at] of spans.entries()) {
        const res = await sendLogs(
          t,
          logsRequest([logRecord({ ...at, eventName: 'gen_ai.user.message', body: { content: `message ${i}` } })]),
          'json',
        );
        assert.equal(res.status, 200);
      }
      const dropped = (await t.app.metrics.registry.getSingleMetric('tally_otlp_held_events_total')!.get()).values.find(
        (v) => v.labels.outcome === 'dropped',
      )?.value;
      assert.equal(dropped, 2);
      const res = await sendTraces(t, request(spans.map((at) => chatSpan(at))), 'json');
      assert.equal(res.status, 200);
      const inputs = [];
      for (const at of spans) {
        const r = await t.request('POST', '/api/records/list/', { filters: { field_13: { operator: '', value: [at.traceId] } } });
        inputs.push(r.body.results[0].field_1);
      }
      assert.deepEqual(inputs, [null, null, ...[2, 3, 4].map((i) => JSON.stringify([{ role: 'user', content: `message ${i}` }]))]);
    });
  });
}
