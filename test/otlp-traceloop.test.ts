import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { context, SpanStatusCode } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OpenAIInstrumentation } from '@traceloop/instrumentation-openai';
import { EMBEDDING_MODEL, ERROR_MESSAGE, FAIL_429, MODEL, WEATHER_TOOL } from './helpers/fake-openai.ts';
import { instrumentedTally } from './helpers/instrumented.ts';
import { STORE_KINDS } from './helpers/stores.ts';

/**
 * The real @traceloop/instrumentation-openai (0.27.0: today's gen_ai.input.messages / gen_ai.output.messages in the
 * parts form, gen_ai.tool.definitions, gen_ai.usage.*) patching the real `openai` 6 package, which calls a fake
 * upstream; the real OTLP protobuf exporter sends the spans to a listening Tally. The instrumentation hooks
 * `require`, so it is made before `openai` is required. A context manager makes a parent span the calls' parent.
 */
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const instrumentation = new OpenAIInstrumentation({ traceContent: true, enrichTokens: false });
const { OpenAI } = createRequire(import.meta.url)('openai') as typeof import('openai');

for (const kind of STORE_KINDS) {
  describe(`@traceloop/instrumentation-openai's spans become records [${kind}]`, () => {
    const tally = instrumentedTally(kind, OpenAI);
    const { client, recordsOf, flushed } = tally;
    const provider = (service: string) => tally.tracerProvider(service, instrumentation);

    test('a chat: model, tokens, the parts form read into {role, content}, ids', async () => {
      const service = `traceloop-${kind}-chat`;
      const tracing = provider(service);
      const reply = await client().chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'Answer with a number.' },
          { role: 'user', content: '2+2?' },
        ],
      });
      assert.equal(reply.choices[0].message.content, '4');
      await flushed(tracing);
      const [r] = await recordsOf(service, 1);
      assert.equal(r.field_3, 'type_a');
      assert.equal(r.field_4, MODEL);
      assert.deepEqual(r.field_5, { sub_field_a: 21, sub_field_b: 1, sub_field_c: 22 });
      assert.deepEqual(JSON.parse(r.field_1), [
        { role: 'system', content: 'Answer with a number.' },
        { role: 'user', content: '2+2?' },
      ]);
      assert.deepEqual(JSON.parse(r.field_2), [{ role: 'assistant', content: '4', finish_reason: 'stop' }]);
      assert.match(r.field_12, /^[0-9a-f]{16}$/);
      assert.match(r.field_13, /^[0-9a-f]{32}$/);
      assert.equal(r.field_18, 200);
      assert.equal(r.field_9['gen_ai.provider.name'], 'openai');
      assert.equal(r.field_9['otel.parent_span_id'], undefined, 'a root span has no parent');
    });

    test('a streamed chat with include_usage: the text is joined; the instrumentation sends no counts, so they are estimated', async () => {
      const service = `traceloop-${kind}-stream`;
      const tracing = provider(service);
      const stream = await client().chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Say hello.' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      assert.equal(text, 'Hello.');
      await flushed(tracing);
      const [r] = await recordsOf(service, 1);
      assert.equal(r.field_3, 'type_a');
      assert.equal(r.field_4, MODEL);
      assert.deepEqual(JSON.parse(r.field_1), [{ role: 'user', content: 'Say hello.' }]);
      assert.deepEqual(JSON.parse(r.field_2), [{ role: 'assistant', content: 'Hello.', finish_reason: 'stop' }]);
      assert.equal(r.tokens_estimated, true, JSON.stringify(r));
      assert.ok(r.sub_field_a > 0 && r.sub_field_b > 0, JSON.stringify(r));
    });

    test('a tool call inside a workflow span: field_16 from gen_ai.tool.definitions, the call in field_2, the parent in field_9', async () => {
      const service = `traceloop-${kind}-tools`;
      const tracing = provider(service);
      const tracer = tracing.getTracer('app');
      const parentId = await tracer.startActiveSpan(
        'weather.workflow',
        { attributes: { 'traceloop.span.kind': 'workflow', 'traceloop.entity.name': 'weather' } },
        async (parent) => {
          const reply = await client().chat.completions.create({
            model: 'gpt-4o-mini',
            messages: [{ role: 'user', content: 'Weather in Paris?' }],
            tools: [WEATHER_TOOL],
          });
          assert.equal(reply.choices[0].finish_reason, 'tool_calls');
          parent.end();
          return parent.spanContext().spanId;
        },
      );
      await flushed(tracing);
      const records = await recordsOf(service, 2);
      const workflow = records.find((r) => r.field_3 === 'type_c');
      const llm = records.find((r) => r.field_3 === 'type_a');
      assert.ok(workflow && llm, JSON.stringify(records));
      assert.equal(workflow.field_12, parentId);
      assert.equal(llm.field_13, workflow.field_13, 'one trace');
      assert.equal(llm.field_9['otel.parent_span_id'], parentId);
      assert.deepEqual(llm.field_16, [
        {
          type: 'type_a',
          definition: { name: 'get_weather', description: WEATHER_TOOL.function.description, parameters: WEATHER_TOOL.function.parameters },
        },
      ]);
      assert.deepEqual(JSON.parse(llm.field_2), [
        {
          role: 'assistant',
          content: '',
          tool_calls: [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }],
          finish_reason: 'tool_call',
        },
      ]);
      assert.deepEqual(llm.field_5, { sub_field_a: 40, sub_field_b: 7, sub_field_c: 47 });
    });

    test('embeddings and a 429: this instrumentation makes no span for either, so the workflow span that caught the error carries it', async () => {
      const service = `traceloop-${kind}-error`;
      const tracing = provider(service);
      const tracer = tracing.getTracer('app');
      await tracer.startActiveSpan('embed.workflow', { attributes: { 'traceloop.span.kind': 'workflow' } }, async (parent) => {
        const embedded = await client().embeddings.create({ model: EMBEDDING_MODEL, input: 'hello' });
        assert.equal(embedded.data[0].embedding.length, 3);
        try {
          await client().chat.completions.create({ model: FAIL_429, messages: [{ role: 'user', content: 'x' }] });
          assert.fail('the upstream answers 429');
        } catch (e) {
          assert.equal((e as { status?: number }).status, 429);
          parent.recordException(e as Error);
          parent.setStatus({ code: SpanStatusCode.ERROR });
        }
        parent.end();
      });
      await flushed(tracing);
      // 0.27.0 wraps embeddings not at all, and ends a chat span only when the call succeeds (a rejected call's span
      // is never ended, so never exported): the workflow is the one record. Should a release fix either, this fails.
      const [r] = await recordsOf(service, 1);
      assert.equal(r.field_3, 'type_c');
      assert.equal(r.field_18, 500);
      assert.match(r.field_19, new RegExp(`429 ${ERROR_MESSAGE}`));
    });
  });
}
