import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { metrics } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ERROR_MESSAGE, FAIL_429, MODEL } from './helpers/fake-openai.ts';
import { within } from './helpers/http.ts';
import { instrumentedTally } from './helpers/instrumented.ts';
import { STORE_KINDS } from './helpers/stores.ts';

/**
 * The real @opentelemetry/instrumentation-openai (which puts tokens on the span and logs the messages as GenAI
 * events) patching the real `openai` package, which calls a fake upstream here; the real OTLP protobuf exporters
 * send the spans to /v1/traces and the events to /v1/logs of a listening Tally. The instrumentation hooks `require`,
 * so it is made before `openai` is required.
 */
const instrumentation = new OpenAIInstrumentation({ captureMessageContent: true });
// Its metric instruments are made in the base class's constructor and then reset by its own field declarations (as
// built, 0.21.0); setting a meter provider (the API's no-op one) makes them again, which streamed calls need.
instrumentation.setMeterProvider(metrics.getMeterProvider());
const { OpenAI } = createRequire(import.meta.url)('openai') as typeof import('openai');

/**
 * The processors' export delay: longer than any test, so that spans and events leave only when a test flushes them
 * and the order a test chooses is the order Tally sees (by default the events could leave on their own after 1 s).
 */
const HELD = 600_000;

for (const kind of STORE_KINDS) {
  describe(`@opentelemetry/instrumentation-openai's spans and events reach their record [${kind}]`, () => {
    const tally = instrumentedTally(kind, OpenAI);
    const { client } = tally;

    /** Providers for one service, exporting to Tally; the instrumentation uses them from now on. */
    const providers = (service: string) => {
      const resource = resourceFromAttributes({ 'service.name': service });
      const headers = { authorization: `Bearer ${tally.t.key}` };
      const tracing = new BasicTracerProvider({
        resource,
        spanProcessors: [
          new BatchSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${tally.port}/v1/traces`, headers }), {
            scheduledDelayMillis: HELD,
          }),
        ],
      });
      const logging = new LoggerProvider({
        resource,
        processors: [
          new BatchLogRecordProcessor({
            exporter: new OTLPLogExporter({ url: `http://127.0.0.1:${tally.port}/v1/logs`, headers }),
            scheduledDelayMillis: HELD,
          }),
        ],
      });
      instrumentation.setTracerProvider(tracing);
      instrumentation.setLoggerProvider(logging);
      return { tracing, logging };
    };
    const recordOf = async (service: string) => (await tally.recordsOf(service, 1))[0];

    test('a chat whose span is exported before its events: the events fill the record', async () => {
      const { tracing, logging } = providers(`openai-${kind}-span-first`);
      const reply = await client().chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'Answer with a number.' },
          { role: 'user', content: '2+2?' },
        ],
      });
      assert.equal(reply.choices[0].message.content, '4');
      await within(tracing.forceFlush(), 30_000, 'the spans to be exported');
      const before = await recordOf(`openai-${kind}-span-first`);
      assert.equal(before.field_1, null, 'the span carries no content');
      await within(logging.forceFlush(), 30_000, 'the events to be exported');
      const r = await recordOf(`openai-${kind}-span-first`);
      assert.equal(r.field_3, 'type_a');
      assert.equal(r.field_4, MODEL);
      assert.deepEqual(r.field_5, { sub_field_a: 21, sub_field_b: 1, sub_field_c: 22 });
      assert.deepEqual(JSON.parse(r.field_1), [
        { role: 'system', content: 'Answer with a number.' },
        { role: 'user', content: '2+2?' },
      ]);
      assert.deepEqual(JSON.parse(r.field_2), [{ role: 'assistant', content: '4', finish_reason: 'stop' }]);
      await Promise.all([tracing.shutdown(), logging.shutdown()]);
    });

    test('a streamed chat whose events are exported before its span: they wait for it', async () => {
      const { tracing, logging } = providers(`openai-${kind}-events-first`);
      const stream = await client().chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Say hello.' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      assert.equal(text, 'Hello.');
      await within(logging.forceFlush(), 30_000, 'the events to be exported');
      await within(tracing.forceFlush(), 30_000, 'the spans to be exported');
      const r = await recordOf(`openai-${kind}-events-first`);
      assert.deepEqual(JSON.parse(r.field_1), [{ role: 'user', content: 'Say hello.' }]);
      assert.deepEqual(JSON.parse(r.field_2), [{ role: 'assistant', content: 'Hello.', finish_reason: 'stop' }]);
      assert.deepEqual(r.field_5, { sub_field_a: 9, sub_field_b: 2, sub_field_c: 11 });
      await Promise.all([tracing.shutdown(), logging.shutdown()]);
    });

    test('a 429 from the upstream: the span ends with ERROR, which becomes field_18 500 and field_19 the message', async () => {
      const service = `openai-${kind}-429`;
      const { tracing, logging } = providers(service);
      await assert.rejects(
        client().chat.completions.create({ model: FAIL_429, messages: [{ role: 'user', content: 'x' }] }),
        (e: { status?: number }) => e.status === 429,
      );
      await within(tracing.forceFlush(), 30_000, 'the spans to be exported');
      await within(logging.forceFlush(), 30_000, 'the events to be exported');
      const r = await recordOf(service);
      assert.equal(r.field_3, 'type_a');
      assert.equal(r.field_4, FAIL_429, 'the requested model: there is no response');
      assert.equal(r.field_18, 500, 'the span carries no http.response.status_code');
      assert.equal(r.field_19, `429 ${ERROR_MESSAGE}`);
      assert.equal(r.field_9['error.type'], 'RateLimitError');
      assert.deepEqual(JSON.parse(r.field_1), [{ role: 'user', content: 'x' }]);
      await Promise.all([tracing.shutdown(), logging.shutdown()]);
    });
  });
}
