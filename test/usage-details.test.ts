import assert from 'node:assert/strict';
import { calcPrice, type Usage } from '@pydantic/genai-prices';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { decodeTraceResponse, request, sendTraces, span } from './helpers/otlp.ts';
import { STORE_KINDS } from './helpers/stores.ts';

/** The library's own price of a usage, rounded as Tally stores costs. */
const library = (usage: Usage, model: string, providerId?: string) => {
  const total = calcPrice(usage, model, providerId ? { providerId } : undefined)!.total_price;
  return Math.round(total * 1e12) / 1e12;
};

for (const kind of STORE_KINDS) {
  describe(`field_5 usage details: cache, reasoning, audio [${kind}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(() => t.close());

    /** The record as create, get and list return it: all three must agree. */
    const readBack = async (created: any) => {
      const got = await t.request('GET', `/api/records/${created.id}/`);
      assert.equal(got.status, 200);
      const listed = await t.request('POST', '/api/records/list/', { filters: { id: { operator: '', value: [created.id] } } });
      assert.equal(listed.status, 200);
      assert.deepEqual(got.body, created, 'get returns what create returned');
      assert.deepEqual(listed.body.results[0], created, 'list returns what create returned');
      return created;
    };

    test("a cached Claude call is priced with the library's cache read and write prices, and shows its counts", async () => {
      const field_5 = { sub_field_a: 12_000, sub_field_b: 300, cache_read_input_tokens: 10_000, cache_write_input_tokens: 1500 };
      const r = await readBack(await t.create({ field_4: 'claude-sonnet-4-20250514', field_5 }));
      const expected = library(
        { input_tokens: 12_000, output_tokens: 300, cache_read_tokens: 10_000, cache_write_tokens: 1500 },
        'claude-sonnet-4-20250514',
      );
      assert.equal(r.field_6, expected);
      const uncached = library({ input_tokens: 12_000, output_tokens: 300 }, 'claude-sonnet-4-20250514');
      assert.ok(r.field_6 < uncached / 2, `cache reads cost a tenth of fresh input: ${r.field_6} vs ${uncached}`);
      assert.deepEqual(r.field_5, {
        sub_field_a: 12_000,
        sub_field_b: 300,
        sub_field_c: 12_300,
        cache_read_input_tokens: 10_000,
        cache_write_input_tokens: 1500,
      });
    });

    test('OpenAI cached and reasoning tokens, and audio on a model with audio prices, as calcPrice prices them', async () => {
      const cases = [
        ['gpt-4o', { sub_field_a: 5000, sub_field_b: 200, cache_read_input_tokens: 4096 }],
        ['o3-mini', { sub_field_a: 800, sub_field_b: 2000, cache_read_input_tokens: 512, reasoning_output_tokens: 1700 }],
        ['gemini-3.1-flash-live-preview', { sub_field_a: 3000, sub_field_b: 900, audio_input_tokens: 2500, audio_output_tokens: 800 }],
      ] as const;
      for (const [model, field_5] of cases) {
        const r = await readBack(await t.create({ field_4: model, field_5 }));
        const usage: Usage = { input_tokens: field_5.sub_field_a, output_tokens: field_5.sub_field_b };
        const f = field_5 as Record<string, number>;
        if (f.cache_read_input_tokens) usage.cache_read_tokens = f.cache_read_input_tokens;
        if (f.reasoning_output_tokens) usage.output_reasoning_tokens = f.reasoning_output_tokens;
        if (f.audio_input_tokens) usage.input_audio_tokens = f.audio_input_tokens;
        if (f.audio_output_tokens) usage.output_audio_tokens = f.audio_output_tokens;
        assert.equal(r.field_6, library(usage, model), model);
        assert.notEqual(
          r.field_6,
          library({ input_tokens: usage.input_tokens, output_tokens: usage.output_tokens }, model),
          `${model}: the details change the price`,
        );
        for (const [k, v] of Object.entries(field_5)) assert.equal(r.field_5[k], v, `${model} ${k}`);
      }
    });

    test('cached audio on a realtime model that prices it apart', async () => {
      const field_5 = {
        sub_field_a: 4000,
        sub_field_b: 500,
        cache_read_input_tokens: 1000,
        audio_input_tokens: 3000,
        audio_cache_read_input_tokens: 800,
      };
      const r = await t.create({ field_4: 'gemini-2.0-flash', field_5 });
      const usage = {
        input_tokens: 4000,
        output_tokens: 500,
        cache_read_tokens: 1000,
        input_audio_tokens: 3000,
        cache_audio_read_tokens: 800,
      };
      assert.equal(r.field_6, library(usage, 'gemini-2.0-flash', 'google'));
      const { audio_cache_read_input_tokens: _, ...uncached } = field_5;
      const withoutPart = await t.create({ field_4: 'gemini-2.0-flash', field_5: uncached });
      assert.equal(withoutPart.field_6, null, 'without the cached audio count the library cannot split the price: null, never a guess');
    });

    test('a record without details reads exactly as before (three members), and its cost is the plain price', async () => {
      const r = await readBack(await t.create({ field_4: 'gpt-4o', field_5: { sub_field_a: 1000, sub_field_b: 500 } }));
      assert.deepEqual(Object.keys(r.field_5), ['sub_field_a', 'sub_field_b', 'sub_field_c']);
      assert.equal(r.field_6, library({ input_tokens: 1000, output_tokens: 500 }, 'gpt-4o'));
      const nulls = await t.create({ field_4: 'gpt-4o', field_5: { sub_field_a: 10, sub_field_b: 5, cache_read_input_tokens: null } });
      assert.deepEqual(Object.keys(nulls.field_5), ['sub_field_a', 'sub_field_b', 'sub_field_c'], 'a null detail is not sent');
    });

    test('/openapi.json documents the details as an extension of field_5, in the create and the record schemas', async () => {
      const doc = (await t.request('GET', '/openapi.json')).body;
      const input = doc.components.schemas.CreateRecord.properties.field_5;
      const usage = (input.anyOf ?? [input]).find((s: any) => s.properties) ?? input;
      assert.match(JSON.stringify(usage.properties.cache_read_input_tokens), /Extension: prompt tokens read from the prompt cache/);
      assert.equal(usage.additionalProperties, false, 'unknown keys are still refused');
      const output = doc.components.schemas.Record.properties.field_5.properties;
      assert.deepEqual(Object.keys(output), [
        'sub_field_a',
        'sub_field_b',
        'sub_field_c',
        'cache_read_input_tokens',
        'cache_write_input_tokens',
        'audio_input_tokens',
        'audio_cache_read_input_tokens',
        'reasoning_output_tokens',
        'audio_output_tokens',
      ]);
      assert.equal(doc.components.schemas.Record.properties.usage_details, undefined, 'the column is not a field of the wire record');
    });

    test("a client's field_6 still wins; an unknown model stays null", async () => {
      const field_5 = { sub_field_a: 100, sub_field_b: 10, cache_read_input_tokens: 50 };
      assert.equal((await t.create({ field_4: 'gpt-4o', field_5, field_6: 0.25 })).field_6, 0.25);
      const unknown = await t.create({ field_4: 'in-house-model', field_5 });
      assert.equal(unknown.field_6, null);
      assert.equal(unknown.field_5.cache_read_input_tokens, 50);
    });

    test('bad usage is a 400 naming the problem, and nothing is stored', async () => {
      const before = (await t.request('GET', '/api/records/list/')).body.count;
      const bad: [unknown, string, RegExp][] = [
        [{ sub_field_a: 10, cached_tokens: 5 }, 'field_5', /unknown property "cached_tokens"/],
        [{ sub_field_a: 10, cache_read_input_tokens: -1 }, 'field_5.cache_read_input_tokens', /must be >= 0/],
        [{ sub_field_a: 10, cache_read_input_tokens: 1.5 }, 'field_5.cache_read_input_tokens', /integer/],
        [{ sub_field_b: 10, cache_read_input_tokens: 5 }, 'field_5.cache_read_input_tokens', /needs field_5.sub_field_a/],
        [{ sub_field_a: 10, reasoning_output_tokens: 5 }, 'field_5.reasoning_output_tokens', /needs field_5.sub_field_b/],
        [
          { sub_field_a: 100, cache_read_input_tokens: 90, cache_write_input_tokens: 20 },
          'field_5.sub_field_a',
          /less than its parts .*= 110.*cache_creation_input_tokens/,
        ],
        [{ sub_field_a: 10, sub_field_b: 100, reasoning_output_tokens: 101 }, 'field_5.sub_field_b', /less than its parts/],
        [
          { sub_field_a: 100, cache_read_input_tokens: 10, audio_input_tokens: 50, audio_cache_read_input_tokens: 20 },
          'field_5.audio_cache_read_input_tokens',
          /must not exceed/,
        ],
      ];
      for (const [field_5, field, message] of bad) {
        const res = await t.request('POST', '/api/records/create/', { field_4: 'gpt-4o', field_5 });
        assert.equal(res.status, 400, JSON.stringify(field_5));
        assert.equal(res.body.error.code, 'validation_error');
        const detail = res.body.error.details.find((d: { field: string }) => d.field === field);
        assert.ok(detail, `${JSON.stringify(field_5)}: ${JSON.stringify(res.body.error.details)}`);
        assert.match(detail.message, message);
      }
      assert.equal((await t.request('GET', '/api/records/list/')).body.count, before, 'nothing stored');
    });

    test('OTLP: cache and reasoning attributes of the GenAI conventions, OpenLLMetry and OpenInference become the details', async () => {
      const spans = [
        span({
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.request.model': 'claude-sonnet-4-20250514',
            'gen_ai.usage.input_tokens': 9000,
            'gen_ai.usage.output_tokens': 120,
            'gen_ai.usage.cache_read.input_tokens': 6000,
            'gen_ai.usage.cache_write.input_tokens': 2000,
          },
        }),
        span({
          attributes: {
            'llm.request.type': 'chat',
            'gen_ai.request.model': 'claude-sonnet-4-20250514',
            'gen_ai.usage.input_tokens': 9000,
            'gen_ai.usage.output_tokens': 120,
            'gen_ai.usage.cache_read_input_tokens': 6000,
            'gen_ai.usage.cache_creation_input_tokens': 2000,
          },
        }),
        span({
          attributes: {
            'openinference.span.kind': 'LLM',
            'llm.model_name': 'o3-mini',
            'llm.token_count.prompt': 700,
            'llm.token_count.completion': 900,
            'llm.token_count.prompt_details.cache_read': 512,
            'llm.token_count.completion_details.reasoning': 850,
          },
        }),
        span({
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.request.model': 'o3-mini',
            'gen_ai.usage.input_tokens': 700,
            'gen_ai.usage.output_tokens': 900,
            'gen_ai.usage.reasoning.output_tokens': 850,
          },
        }),
        span({
          attributes: {
            'llm.request.type': 'chat',
            'gen_ai.request.model': 'o3-mini',
            'gen_ai.usage.prompt_tokens': 700,
            'gen_ai.usage.completion_tokens': 900,
            'gen_ai.usage.reasoning_tokens': 850,
          },
        }),
      ];
      const res = await sendTraces(t, request(spans), 'json');
      assert.equal(res.status, 200, res.raw.toString());
      assert.deepEqual(decodeTraceResponse(res.raw, 'json'), { rejectedSpans: 0, errorMessage: '' });
      const records = (
        await t.request('POST', '/api/records/list/', { filters: { field_13: { operator: 'in', value: spans.map((s) => s.traceId) } } })
      ).body.results;
      const byTrace = new Map(records.map((r: any) => [r.field_13, r]));
      const claude = { input_tokens: 9000, output_tokens: 120, cache_read_tokens: 6000, cache_write_tokens: 2000 };
      for (const s of spans.slice(0, 2)) {
        const r = byTrace.get(s.traceId) as any;
        assert.deepEqual(r.field_5, {
          sub_field_a: 9000,
          sub_field_b: 120,
          sub_field_c: 9120,
          cache_read_input_tokens: 6000,
          cache_write_input_tokens: 2000,
        });
        assert.equal(r.field_6, library(claude, 'claude-sonnet-4-20250514'));
        assert.equal(r.field_9?.['gen_ai.usage.cache_read.input_tokens'], undefined, 'taken by field_5, not repeated in field_9');
      }
      const oi = byTrace.get(spans[2].traceId) as any;
      assert.deepEqual(oi.field_5, {
        sub_field_a: 700,
        sub_field_b: 900,
        sub_field_c: 1600,
        cache_read_input_tokens: 512,
        reasoning_output_tokens: 850,
      });
      assert.equal(
        oi.field_6,
        library({ input_tokens: 700, output_tokens: 900, cache_read_tokens: 512, output_reasoning_tokens: 850 }, 'o3-mini'),
      );
      for (const s of spans.slice(3)) assert.equal((byTrace.get(s.traceId) as any).field_5.reasoning_output_tokens, 850);
    });
  });
}
