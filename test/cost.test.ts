import assert from 'node:assert/strict';
import { calcPrice } from '@pydantic/genai-prices';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { STORE_KINDS } from './helpers/stores.ts';

for (const kind of STORE_KINDS) {
  describe(`cost and tokens [${kind}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(() => t.close());
    const create = (body: unknown) => t.create(body);

    test('field_6 is computed from the catalogue with prompt and completion prices', async () => {
      const r = await create({ field_4: 'gpt-4o', field_5: { sub_field_a: 1000, sub_field_b: 500 } });
      const expected = calcPrice({ input_tokens: 1000, output_tokens: 500 }, 'gpt-4o')!.total_price;
      assert.ok(Math.abs(r.field_6 - expected) < 1e-12, `${r.field_6} vs ${expected}`);
      assert.ok(Math.abs(r.field_6 - (1000 * 2.5 + 500 * 10) / 1e6) < 1e-12, 'gpt-4o at $2.50/$10 per million');
      assert.equal(r.tokens_estimated, false);
    });

    test('provider-prefixed model names are priced too', async () => {
      const r = await create({ field_4: 'openai/gpt-4o-mini', field_5: { sub_field_a: 1000, sub_field_b: 1000 } });
      assert.ok(r.field_6 > 0);
      const a = await create({ field_4: 'claude-3-5-sonnet-20241022', field_5: { sub_field_a: 1000, sub_field_b: 1000 } });
      assert.ok(Math.abs(a.field_6 - 0.018) < 1e-9, String(a.field_6));
    });

    test("embedding models are priced under the names their maker's API uses", async () => {
      // The catalogue's own provider matching knows OpenAI by its chat model names only.
      for (const [model, perMillion] of [
        ['text-embedding-3-small', 0.02],
        ['text-embedding-3-large', 0.13],
        ['text-embedding-ada-002', 0.1],
      ] as const) {
        const r = await create({ field_3: 'type_b', field_4: model, field_5: { sub_field_a: 1_000_000 } });
        assert.equal(r.field_6, perMillion, model);
      }
    });

    test('an unknown model is priced null, never 0', async () => {
      const r = await create({ field_4: 'my-private-model-7b', field_5: { sub_field_a: 1000, sub_field_b: 500 } });
      assert.equal(r.field_6, null);
      const none = await create({ field_5: { sub_field_a: 1000, sub_field_b: 500 } });
      assert.equal(none.field_6, null);
    });

    test("a client's own field_6 always wins, including 0", async () => {
      assert.equal((await create({ field_4: 'gpt-4o', field_5: { sub_field_a: 1000, sub_field_b: 500 }, field_6: 0.5 })).field_6, 0.5);
      assert.equal((await create({ field_4: 'gpt-4o', field_5: { sub_field_a: 1000, sub_field_b: 500 }, field_6: 0 })).field_6, 0);
      assert.equal((await create({ field_4: 'unknown-x', field_6: 1.25 })).field_6, 1.25);
    });

    test('tokens are estimated with a real tokenizer when absent, and labelled as estimates', async () => {
      const prompt = 'The quick brown fox jumps over the lazy dog. '.repeat(20);
      const completion = 'A sentence about a fox and a dog.';
      const r = await create({ field_4: 'gpt-4o-mini', field_1: prompt, field_2: completion });
      assert.equal(r.tokens_estimated, true);
      assert.equal(r.sub_field_a, encode(prompt).length);
      assert.equal(r.sub_field_b, encode(completion).length);
      assert.equal(r.sub_field_total, r.sub_field_a + r.sub_field_b);
      const expected = calcPrice({ input_tokens: r.sub_field_a, output_tokens: r.sub_field_b }, 'gpt-4o-mini')!.total_price;
      assert.ok(Math.abs(r.field_6 - expected) < 1e-12);
      const chat = await create({
        field_4: 'gpt-4o',
        field_1: [{ role: 'user', content: 'hello world' }],
        field_2: { role: 'assistant', content: 'hi' },
      });
      assert.equal(chat.sub_field_a, encode('hello world').length);
      assert.equal(chat.sub_field_b, encode('hi').length);
    });

    test('estimating one long pre-token is bounded: 1,000,000 × "a" and 200,000 CJK characters (minutes each before)', {
      timeout: 60_000,
    }, async () => {
      // Whole, the tokenizer's BPE is quadratic in a pre-token: 100,000 × "a" held the event loop ~8 s, 1,000,000
      // over 25 minutes. The node:test timeout is the bound; the estimate itself takes milliseconds.
      const cjk = Array.from({ length: 200_000 }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7919) % 20_000))).join('');
      const r = await create({ field_4: 'gpt-4o-mini', field_1: 'a'.repeat(1_000_000), field_2: cjk });
      assert.equal(r.tokens_estimated, true);
      assert.equal(r.sub_field_a, 125_000, 'eight "a" a token, as the tokenizer counts shorter runs');
      assert.ok(r.sub_field_b > 100_000 && r.sub_field_b < 800_000, String(r.sub_field_b));
    });

    test('a long text is estimated from samples within a few percent of the exact count', async () => {
      const words = [
        'the',
        'quick',
        'brown',
        'fox',
        'jumps',
        'over',
        'lazy',
        'dog,',
        'tokenizer',
        '12345',
        'Hello',
        'world.',
        'naïve',
        'café',
      ];
      let seed = 42;
      const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31); // a fixed pseudo-random word sequence
      const text = Array.from({ length: 40_000 }, () => words[next() % words.length]).join(' ');
      const r = await create({ field_4: 'gpt-4o', field_1: text });
      const exact = encode(text).length;
      assert.ok(Math.abs(r.sub_field_a - exact) / exact < 0.05, `${r.sub_field_a} vs ${exact}`);
    });

    test("an embedding's input is estimated, its output (the vectors) is not: no completion tokens", async () => {
      const r = await create({
        field_3: 'type_b',
        field_4: 'text-embedding-3-small',
        field_1: 'embed this sentence please',
        field_2: [0.0123, -0.456, 0.789],
      });
      assert.equal(r.tokens_estimated, true);
      assert.equal(r.sub_field_a, encode('embed this sentence please').length);
      assert.equal(r.sub_field_b, null);
      assert.equal(r.sub_field_total, r.sub_field_a);
    });

    test('no estimate for an unknown model, and none when counts are sent', async () => {
      const unknown = await create({ field_4: 'mystery', field_1: 'hello', field_2: 'world' });
      assert.equal(unknown.tokens_estimated, false);
      assert.equal(unknown.sub_field_a, null);
      assert.equal(unknown.field_6, null);
      const sent = await create({ field_4: 'gpt-4o', field_1: 'hello', field_2: 'world', field_5: { sub_field_a: 7, sub_field_b: 9 } });
      assert.equal(sent.tokens_estimated, false);
      assert.equal(sent.sub_field_a, 7);
    });
  });
}
