import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import { context, SpanStatusCode } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { EMBEDDING_MODEL, ERROR_MESSAGE, FAIL_500, MODEL, WEATHER_TOOL } from './helpers/fake-openai.ts';
import { within } from './helpers/http.ts';
import { instrumentedTally } from './helpers/instrumented.ts';
import { STORE_KINDS } from './helpers/stores.ts';

/**
 * The real @arizeai/openinference-instrumentation-openai (4.2.7: llm.input_messages.N.*, llm.output_messages.N.*,
 * llm.token_count.*, llm.tools.N.tool.json_schema, input.value/output.value, embedding.*) patching the real
 * `openai` 6 package, which calls a fake upstream; the real OTLP protobuf exporter sends the spans to a listening
 * Tally. The instrumentation hooks `require`, so it is made before `openai` is required. A context manager makes
 * a CHAIN span the calls' parent.
 */
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const instrumentation = new OpenAIInstrumentation();
const { OpenAI } = createRequire(import.meta.url)('openai') as typeof import('openai');

for (const kind of STORE_KINDS) {
  describe(`@arizeai/openinference-instrumentation-openai's spans become records [${kind}]`, () => {
    const tally = instrumentedTally(kind, OpenAI);
    const { client, recordsOf, flushed } = tally;
    const provider = (service: string) => tally.tracerProvider(service, instrumentation);

    test('a chat: model, tokens, llm.input_messages / llm.output_messages as {role, content} with the finish reason, ids', async () => {
      const service = `openinference-${kind}-chat`;
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
      assert.equal(r.field_9['llm.system'], 'openai');
      assert.equal(r.field_9['llm.finish_reason'], undefined, 'taken into field_2');
      assert.equal(r.field_9['otel.parent_span_id'], undefined, 'a root span has no parent');
    });

    test('a streamed chat with include_usage: the text is joined; the instrumentation sends no counts, so they are estimated', async () => {
      const service = `openinference-${kind}-stream`;
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
      // the span ends when the instrumentation's copy of the stream is consumed, which may be after ours
      let r: any;
      for (let i = 0; i < 50 && r === undefined; i++) {
        await within(tracing.forceFlush(), 30_000, 'the spans to be exported');
        const res = await tally.t.request('POST', '/api/records/list/', { filters: { field_14: { operator: '', value: [service] } } });
        r = res.body.results[0];
        if (r === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await tracing.shutdown();
      assert.ok(r, 'the streamed span arrives');
      assert.equal(r.field_3, 'type_a');
      assert.equal(r.field_4, 'gpt-4o-mini', 'a streamed span keeps the requested model');
      assert.deepEqual(JSON.parse(r.field_1), [{ role: 'user', content: 'Say hello.' }]);
      assert.deepEqual(JSON.parse(r.field_2), [{ role: 'assistant', content: 'Hello.', finish_reason: 'stop' }]);
      assert.equal(r.tokens_estimated, true, JSON.stringify(r));
      assert.ok(r.sub_field_a > 0 && r.sub_field_b > 0, JSON.stringify(r));
    });

    test('a tool call inside a CHAIN span: field_16 from llm.tools, the call in field_2, the parent in field_9', async () => {
      const service = `openinference-${kind}-tools`;
      const tracing = provider(service);
      const parentId = await tracing
        .getTracer('app')
        .startActiveSpan('weather chain', { attributes: { 'openinference.span.kind': 'CHAIN' } }, async (parent) => {
          const reply = await client().chat.completions.create({
            model: 'gpt-4o-mini',
            messages: [{ role: 'user', content: 'Weather in Paris?' }],
            tools: [WEATHER_TOOL],
          });
          assert.equal(reply.choices[0].finish_reason, 'tool_calls');
          parent.end();
          return parent.spanContext().spanId;
        });
      await flushed(tracing);
      const records = await recordsOf(service, 2);
      const chain = records.find((r) => r.field_3 === 'type_c');
      const llm = records.find((r) => r.field_3 === 'type_a');
      assert.ok(chain && llm, JSON.stringify(records));
      assert.equal(chain.field_12, parentId);
      assert.equal(llm.field_13, chain.field_13, 'one trace');
      assert.equal(llm.field_9['otel.parent_span_id'], parentId);
      assert.deepEqual(llm.field_16, [
        {
          type: 'type_a',
          definition: { name: 'get_weather', description: WEATHER_TOOL.function.description, parameters: WEATHER_TOOL.function.parameters },
        },
      ]);
      assert.deepEqual(JSON.parse(llm.field_1), [{ role: 'user', content: 'Weather in Paris?' }]);
      assert.deepEqual(JSON.parse(llm.field_2), [
        {
          role: 'assistant',
          content: '',
          tool_calls: [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }],
          finish_reason: 'tool_calls',
        },
      ]);
      assert.deepEqual(llm.field_5, { sub_field_a: 40, sub_field_b: 7, sub_field_c: 47 });
    });

    test('embeddings: type_b with the embedding model, the text as input, no vectors or texts in field_9', async () => {
      const service = `openinference-${kind}-embed`;
      const tracing = provider(service);
      const embedded = await client().embeddings.create({ model: EMBEDDING_MODEL, input: 'hello' });
      assert.equal(embedded.data[0].embedding.length, 3);
      await flushed(tracing);
      const [r] = await recordsOf(service, 1);
      assert.equal(r.field_3, 'type_b');
      assert.equal(r.field_4, EMBEDDING_MODEL);
      assert.equal(r.field_1, 'hello');
      const leaked = Object.keys(r.field_9).filter((k) => k.startsWith('embedding.'));
      assert.deepEqual(leaked, [], JSON.stringify(r.field_9));
    });

    test("a 500: the instrumentation never ends a rejected call's span, so the CHAIN span that caught it carries the error", async () => {
      const service = `openinference-${kind}-error`;
      const tracing = provider(service);
      await tracing.getTracer('app').startActiveSpan('chain', { attributes: { 'openinference.span.kind': 'CHAIN' } }, async (parent) => {
        try {
          await client().chat.completions.create({ model: FAIL_500, messages: [{ role: 'user', content: 'x' }] });
          assert.fail('the upstream answers 500');
        } catch (e) {
          assert.equal((e as { status?: number }).status, 500);
          parent.recordException(e as Error);
          parent.setStatus({ code: SpanStatusCode.ERROR });
        }
        parent.end();
      });
      await flushed(tracing);
      // 4.2.7 ends a chat span only when the call resolves: should a release end it on a rejection, this fails.
      const [r] = await recordsOf(service, 1);
      assert.equal(r.field_3, 'type_c');
      assert.equal(r.field_18, 500);
      assert.match(r.field_19, new RegExp(`500 ${ERROR_MESSAGE}`));
    });
  });
}
