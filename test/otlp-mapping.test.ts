import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AttrValue } from '../src/otlp/attributes.ts';
import type { OtlpSpan } from '../src/otlp/decode.ts';
import { mapSpan } from '../src/otlp/map-span.ts';

const START = 1_767_225_600_000_000_000n;
const span = (attributes: Record<string, AttrValue>, extra: Partial<OtlpSpan> = {}): OtlpSpan => ({
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  parentSpanId: '',
  name: 'llm call',
  kind: 3,
  startNanos: START,
  endNanos: START + 2_000_000_000n,
  attributes: new Map(Object.entries(attributes)),
  events: [],
  status: { code: 0, message: '' },
  ...extra,
});
const resource = new Map<string, AttrValue>([['service.name', 'svc']]);
const body = (s: OtlpSpan) => {
  const out = mapSpan('org_a', s, resource);
  assert.equal(out.kind, 'record');
  return (out as { body: Record<string, any> }).body;
};

describe('span → create body (pure)', () => {
  test('field_3 by the first rule that matches, kinds compared without regard to case; others ignored', () => {
    const type = (a: Record<string, AttrValue>) => body(span(a)).field_3;
    assert.equal(type({ 'gen_ai.operation.name': 'chat' }), 'type_a');
    assert.equal(type({ 'openinference.span.kind': 'LLM' }), 'type_a');
    assert.equal(type({ 'llm.request.type': 'completion' }), 'type_a');
    assert.equal(type({ 'gen_ai.operation.name': 'embeddings' }), 'type_b');
    assert.equal(type({ 'openinference.span.kind': 'EMBEDDING' }), 'type_b');
    assert.equal(type({ 'traceloop.span.kind': 'workflow' }), 'type_c');
    assert.equal(type({ 'openinference.span.kind': 'CHAIN' }), 'type_c');
    assert.equal(type({ 'gen_ai.operation.name': 'invoke_agent' }), 'type_d');
    assert.equal(type({ 'openinference.span.kind': 'AGENT' }), 'type_d');
    assert.equal(type({ 'traceloop.span.kind': 'task' }), 'type_e');
    assert.equal(type({ 'gen_ai.operation.name': 'execute_tool' }), 'type_f');
    assert.equal(type({ 'openinference.span.kind': 'TOOL' }), 'type_f');
    assert.equal(type({ 'llm.model_name': 'gpt-4o' }), 'type_a');
    assert.equal(type({ 'gen_ai.operation.name': 'chat', 'traceloop.span.kind': 'workflow' }), 'type_a', 'the first rule wins');
    assert.deepEqual(mapSpan('org_a', span({ 'http.request.method': 'GET' }), resource), { kind: 'ignored' });
  });

  test("Traceloop's older indexed names: gen_ai.prompt.N / gen_ai.completion.N with tool calls, llm.usage.total_tokens, llm.request.functions", () => {
    const b = body(
      span({
        'llm.request.type': 'chat',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.prompt.0.role': 'system',
        'gen_ai.prompt.0.content': 'Be brief.',
        'gen_ai.prompt.1.role': 'user',
        'gen_ai.prompt.1.content': 'Weather in Paris?',
        'gen_ai.completion.0.role': 'assistant',
        'gen_ai.completion.0.finish_reason': 'tool_calls',
        'gen_ai.completion.0.tool_calls.0.id': 'call_1',
        'gen_ai.completion.0.tool_calls.0.name': 'get_weather',
        'gen_ai.completion.0.tool_calls.0.arguments': '{"city":"Paris"}',
        'gen_ai.usage.prompt_tokens': 30,
        'gen_ai.usage.completion_tokens': '9',
        'llm.usage.total_tokens': 39,
        'llm.request.functions.0.name': 'get_weather',
        'llm.request.functions.0.parameters': '{"type":"object"}',
        'traceloop.association.properties.session_id': 'sess-1',
        'traceloop.workflow.name': 'weather-bot',
      }),
    );
    assert.deepEqual(b.field_1, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather in Paris?' },
    ]);
    assert.deepEqual(b.field_2, [
      {
        role: 'assistant',
        content: '',
        tool_calls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }],
        finish_reason: 'tool_calls',
      },
    ]);
    assert.deepEqual(b.field_5, { sub_field_a: 30, sub_field_b: 9, sub_field_c: 39 });
    assert.deepEqual(b.field_16, [{ type: 'type_a', definition: { name: 'get_weather', parameters: { type: 'object' } } }]);
    assert.equal(b.field_11, 'sess-1');
    assert.equal(b.field_14, 'weather-bot');
    assert.equal(b.field_9['gen_ai.prompt.0.content'], undefined, 'content is never metadata');
  });

  test('OpenInference: llm.input_messages / llm.output_messages, token counts, cost, tools, input.value', () => {
    const b = body(
      span({
        'openinference.span.kind': 'LLM',
        'llm.model_name': 'claude-3-5-sonnet',
        'llm.input_messages.0.message.role': 'user',
        'llm.input_messages.0.message.contents.0.message_content.type': 'text',
        'llm.input_messages.0.message.contents.0.message_content.text': 'Hi ',
        'llm.input_messages.0.message.contents.1.message_content.text': 'there',
        'llm.output_messages.0.message.role': 'assistant',
        'llm.output_messages.0.message.content': 'Hello!',
        'llm.token_count.prompt': 5,
        'llm.token_count.completion': 2,
        'llm.token_count.total': 7,
        'llm.cost.total': 0.5,
        'llm.tools.0.tool.json_schema': JSON.stringify({ type: 'function', function: { name: 'search', description: 'web' } }),
        'input.value': '{"messages":[]}',
        'session.id': 's-9',
        'user.id': 42,
      }),
    );
    assert.deepEqual(b.field_1, [{ role: 'user', content: 'Hi there' }]);
    assert.deepEqual(b.field_2, [{ role: 'assistant', content: 'Hello!' }]);
    assert.deepEqual(b.field_5, { sub_field_a: 5, sub_field_b: 2, sub_field_c: 7 });
    assert.equal(b.field_6, 0.5);
    assert.equal(b.field_4, 'claude-3-5-sonnet');
    assert.deepEqual(b.field_16, [{ type: 'type_a', definition: { name: 'search', description: 'web' } }]);
    assert.equal(b.field_10, '42');
    assert.equal(b.field_11, 's-9');
    const plain = body(
      span({
        'openinference.span.kind': 'LLM',
        'input.value': 'just text',
        'output.value': '{"choices":[{"message":{"role":"assistant","content":"ok"}}]}',
      }),
    );
    assert.equal(plain.field_1, 'just text');
    assert.deepEqual(plain.field_2, [{ role: 'assistant', content: 'ok' }]);
  });

  test("OpenInference's span-wide llm.finish_reason goes on the assistant messages that lack one; embedding texts and vectors are content, not metadata", () => {
    const b = body(
      span({
        'openinference.span.kind': 'LLM',
        'llm.output_messages.0.message.role': 'assistant',
        'llm.output_messages.0.message.content': 'Hello.',
        'llm.finish_reason': 'stop',
      }),
    );
    assert.deepEqual(b.field_2, [{ role: 'assistant', content: 'Hello.', finish_reason: 'stop' }]);
    assert.equal(b.field_9['llm.finish_reason'], undefined, 'taken into field_2');
    const own = body(
      span({
        'gen_ai.operation.name': 'chat',
        'gen_ai.output.messages': [{ role: 'assistant', finish_reason: 'length', parts: [{ type: 'text', content: 'x' }] }],
        'llm.finish_reason': 'stop',
      }),
    );
    assert.equal(own.field_2[0].finish_reason, 'length', "a message's own reason is kept");
    const embedding = body(
      span({
        'openinference.span.kind': 'EMBEDDING',
        'embedding.model_name': 'text-embedding-3-small',
        'input.value': 'hello',
        'embedding.embeddings.0.embedding.text': 'hello',
        'embedding.embeddings.0.embedding.vector': [0.5, -0.25],
        'llm.system': 'openai',
      }),
    );
    assert.equal(embedding.field_3, 'type_b');
    assert.equal(embedding.field_4, 'text-embedding-3-small');
    assert.equal(embedding.field_1, 'hello');
    assert.deepEqual(embedding.field_9, { 'llm.system': 'openai', 'service.name': 'svc' });
  });

  test('span events carry the messages: gen_ai.*.message and gen_ai.choice; flat messages with OpenAI tool calls', () => {
    const b = body(
      span(
        { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' },
        {
          events: [
            { name: 'gen_ai.system.message', timeNanos: START, attributes: new Map([['content', 'Be brief.']]) },
            { name: 'gen_ai.user.message', timeNanos: START, attributes: new Map([['content', 'Hi']]) },
            {
              name: 'gen_ai.choice',
              timeNanos: START,
              attributes: new Map<string, AttrValue>([
                ['finish_reason', 'stop'],
                [
                  'message',
                  {
                    role: 'assistant',
                    content: 'Hello',
                    tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
                  },
                ],
              ]),
            },
          ],
        },
      ),
    );
    assert.deepEqual(b.field_1, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ]);
    assert.deepEqual(b.field_2, [
      { role: 'assistant', content: 'Hello', tool_calls: [{ id: 'c1', name: 'f', arguments: '{}' }], finish_reason: 'stop' },
    ]);
  });

  test('the parts form keeps tool calls and tool results; structured (not JSON-string) attributes too', () => {
    const b = body(
      span({
        'gen_ai.operation.name': 'chat',
        'gen_ai.system_instructions': [{ type: 'text', content: 'Sys' }],
        'gen_ai.input.messages': [
          { role: 'assistant', parts: [{ type: 'tool_call', id: 't1', name: 'lookup', arguments: { q: 'x' } }] },
          { role: 'tool', parts: [{ type: 'tool_call_response', id: 't1', response: 'found' }] },
        ],
      }),
    );
    assert.deepEqual(b.field_1, [
      { role: 'system', content: 'Sys' },
      { role: 'assistant', content: '', tool_calls: [{ id: 't1', name: 'lookup', arguments: { q: 'x' } }] },
      { role: 'tool', content: 'found', tool_call_id: 't1' },
    ]);
  });

  test('content never reaches field_9 (bare gen_ai.prompt / gen_ai.completion, llm.input_messages, llm.prompts.N, templates); a NaN attribute or an all-zero parent id is left out, the span kept', () => {
    const b = body(
      span(
        {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.prompt': '[{"role":"user","content":"SECRET PROMPT"}]',
          'gen_ai.completion': 'SECRET COMPLETION',
          'llm.input_messages': 'SECRET INPUT',
          'llm.output_messages': 'SECRET OUTPUT',
          'llm.prompts.0.prompt.text': 'SECRET TEXT',
          'llm.prompt_template.template': 'SECRET {x}',
          'llm.prompt_template.variables': '{"x":"SECRET"}',
          'some.ratio': Number.NaN,
          'some.big': Number.POSITIVE_INFINITY,
          'app.kept': 'yes',
          'gen_ai.usage.input_tokens': 3,
        },
        { parentSpanId: '0000000000000000' },
      ),
    );
    assert.deepEqual(b.field_9, { 'app.kept': 'yes', 'service.name': 'svc' });
    assert.doesNotMatch(JSON.stringify(b.field_9), /SECRET/);
  });

  test("Traceloop's gen_ai.prompt.N.content holding content parts as JSON reads as their text; other JSON text is kept as sent", () => {
    const b = body(
      span({
        'llm.request.type': 'chat',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.prompt.0.role': 'user',
        'gen_ai.prompt.0.content': JSON.stringify([
          { type: 'text', text: 'part a ' },
          { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
          { type: 'text', text: 'part b' },
        ]),
        'gen_ai.prompt.1.role': 'user',
        'gen_ai.prompt.1.content': '[{"type":"banana","text":"kept"}]',
        'gen_ai.prompt.2.role': 'user',
        'gen_ai.prompt.2.content': '{"question": 1}',
      }),
    );
    assert.deepEqual(b.field_1, [
      { role: 'user', content: 'part a part b' },
      { role: 'user', content: '[{"type":"banana","text":"kept"}]' },
      { role: 'user', content: '{"question": 1}' },
    ]);
  });

  test("the id is the span's: the same span gives the same id, another span or org another; its time part is the start", () => {
    const id = (org: string, s: OtlpSpan) => (mapSpan(org, s, resource) as { id: string }).id;
    const a = span({ 'gen_ai.operation.name': 'chat' });
    assert.equal(id('org_a', a), id('org_a', span({ 'gen_ai.operation.name': 'chat', extra: 1 })));
    assert.notEqual(id('org_a', a), id('org_b', a));
    assert.notEqual(id('org_a', a), id('org_a', { ...a, spanId: 'b7ad6b7169203332' }));
    assert.match(id('org_a', a), /^record_01KDVDNA00[0-9A-HJKMNP-TV-Z]{16}$/); // 2026-01-01T00:00:00Z
  });
});
