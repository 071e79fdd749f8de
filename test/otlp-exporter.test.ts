import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { within } from './helpers/http.ts';
import { listen } from './helpers/listen.ts';
import { STORE_KINDS } from './helpers/stores.ts';

/** Spans made by the real OpenTelemetry SDK, as an instrumentation would: a workflow, a chat call in it, an HTTP call. */
function makeSpans(service: string): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('tally-test', '1.0.0');
  const workflow = tracer.startSpan('answer-question', {
    attributes: { 'traceloop.span.kind': 'workflow', 'traceloop.entity.input': '{"q":"2+2?"}' },
  });
  const inWorkflow = trace.setSpan(context.active(), workflow);
  const chat = tracer.startSpan(
    'chat gpt-4o-mini',
    {
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 21,
        'gen_ai.usage.output_tokens': 3,
        'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: '2+2?' }] }]),
        'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: '4' }] }]),
      },
    },
    inWorkflow,
  );
  chat.end();
  const failed = tracer.startSpan(
    'chat gpt-4o',
    { attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' } },
    inWorkflow,
  );
  failed.recordException(new Error('connection reset'));
  failed.setStatus({ code: SpanStatusCode.ERROR });
  failed.end();
  tracer.startSpan('GET /health', { attributes: { 'http.request.method': 'GET' } }, inWorkflow).end();
  workflow.setAttribute('traceloop.entity.output', '{"a":"4"}');
  workflow.end();
  return memory.getFinishedSpans();
}

/** Exports the spans with a real OTLP/HTTP exporter; resolves with its result code (0 is success). */
function exportWith(exporter: OTLPTraceExporter | JsonExporter, spans: ReadableSpan[]): Promise<{ code: number; error?: Error }> {
  return within(new Promise((resolve) => exporter.export(spans, resolve)), 30_000, 'the exporter to report');
}

for (const kind of STORE_KINDS) {
  describe(`the real @opentelemetry/exporter-trace-otlp-proto and -http send to a listening Tally [${kind}]`, () => {
    let t: TestApp;
    let port: number;
    before(async () => {
      t = await startTestApp(kind);
      port = await listen(t);
    });
    after(() => t.close());

    const CASES = [
      ['proto', 'none'],
      ['proto', 'gzip'],
      ['http (OTLP/JSON)', 'none'],
      ['http (OTLP/JSON)', 'gzip'],
    ] as const;
    for (const [format, compression] of CASES) {
      test(`${format}, compression ${compression}: the LLM spans become records, nested by their parent span; a resend stores nothing twice`, async () => {
        const service = `exporter-${format.split(' ')[0]}-${compression}`;
        const spans = makeSpans(service);
        const options = {
          url: `http://127.0.0.1:${port}/v1/traces`,
          headers: { Authorization: `Bearer ${t.key}` },
          compression: compression as never,
        };
        const exporter = format === 'proto' ? new OTLPTraceExporter(options) : new JsonExporter(options);
        try {
          assert.deepEqual(await exportWith(exporter, spans), { code: 0 });
          assert.deepEqual(await exportWith(exporter, spans), { code: 0 }, 'a resend');
        } finally {
          await exporter.shutdown();
        }
        const traceId = spans[0].spanContext().traceId;
        const res = await t.request('POST', '/api/records/list/', {
          filters: { field_13: { operator: '', value: [traceId] } },
          param_d: 'option_4',
        });
        assert.equal(res.status, 200);
        assert.equal(res.body.count, 3, 'workflow and two chats; the HTTP span is ignored');
        const byName = new Map((res.body.results as any[]).map((r) => [r.field_15, r]));
        const workflow = byName.get('answer-question');
        const chat = byName.get('chat gpt-4o-mini');
        const failed = byName.get('chat gpt-4o');
        assert.equal(workflow.field_3, 'type_c');
        assert.equal(workflow.field_1, '{"q":"2+2?"}');
        assert.equal(workflow.field_2, '{"a":"4"}');
        assert.equal(chat.field_3, 'type_a');
        assert.deepEqual(chat.field_5, { sub_field_a: 21, sub_field_b: 3, sub_field_c: 24 });
        assert.deepEqual(JSON.parse(chat.field_2), [{ role: 'assistant', content: '4' }]);
        assert.equal(chat.field_9['otel.parent_span_id'], workflow.field_12, 'the tree: the chat names its parent');
        assert.equal(chat.field_9['service.name'], service);
        assert.equal(chat.field_14, service);
        assert.equal(failed.field_18, 500);
        assert.equal(failed.field_19, 'connection reset');
        assert.equal(failed.status, 'error');
      });
    }

    test('a wrong key: the exporter reports a failure', async () => {
      const exporter = new OTLPTraceExporter({
        url: `http://127.0.0.1:${port}/v1/traces`,
        headers: { Authorization: 'Bearer not-a-key-0000000000' },
      });
      try {
        const result = await exportWith(exporter, makeSpans('unauthorized'));
        assert.equal(result.code, 1);
        assert.match(String(result.error?.message), /401|Unauthorized/i);
      } finally {
        await exporter.shutdown();
      }
    });
  });
}
