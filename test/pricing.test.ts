import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, test } from 'node:test';
import { calcPrice } from '@pydantic/genai-prices';
import { customCost, libraryPriceCall, priceCall, pricedByShortcut } from '../src/records/pricing.ts';

// Flat, tiered (Gemini), dated (DeepSeek), provider-prefixed and unknown names.
const MODELS = [
  'gpt-4o-mini',
  'gpt-4o',
  'gpt-4.1',
  'gpt-4.1-mini',
  'gpt-4.1-nano',
  'o3-mini',
  'o4-mini',
  'gpt-3.5-turbo',
  'o1',
  'gpt-4-turbo',
  'claude-3-5-sonnet-20241022',
  'claude-3-5-haiku-20241022',
  'claude-3-7-sonnet-20250219',
  'claude-sonnet-4-20250514',
  'claude-opus-4-20250514',
  'gemini-1.5-flash',
  'gemini-1.5-pro',
  'gemini-2.0-flash',
  'gemini-2.5-pro',
  'gemini-2.5-flash',
  'mistral-large-latest',
  'mistral-small-latest',
  'command-r-plus',
  'deepseek-chat',
  'deepseek-reasoner',
  'openai/gpt-4o-mini',
  'anthropic:claude-3-5-haiku-20241022',
  'groq/llama-3.1-8b-instant',
  'llama-3.1-70b',
  'my-private-model',
];

describe('pricing shortcut', () => {
  test('flat and input-tiered prices take the shortcut; dated prices do not', () => {
    for (const m of ['gpt-4o', 'claude-3-5-sonnet-20241022', 'gemini-1.5-pro', 'mistral-large-latest']) assert.ok(pricedByShortcut(m), m);
    assert.equal(pricedByShortcut('deepseek-chat'), false, 'DeepSeek has time-of-day prices');
    assert.equal(pricedByShortcut('my-private-model'), false);
    for (const m of ['gpt-4o', 'o3-mini', 'claude-sonnet-4-20250514', 'gemini-2.5-pro', 'bedrock:amazon.nova-2-sonic-v1:0'])
      assert.ok(pricedByShortcut(m, true), `${m} with usage details`);
    assert.equal(pricedByShortcut('gemini-2.0-flash', true), false, 'cached audio, a part of two parts, is left to calcPrice');
  });

  test('the shortcut gives exactly the library price for any token counts', () => {
    fc.assert(
      fc.property(fc.constantFrom(...MODELS), fc.nat(3_000_000), fc.nat(500_000), fc.boolean(), (model, input, output, noInput) => {
        const prompt = noInput ? null : input;
        const expected = prompt === null && output === null ? null : libraryPriceCall(model, prompt ?? 0, output);
        assert.equal(priceCall(model, prompt, output), expected, `${model} ${prompt} ${output}`);
      }),
      { numRuns: 3000 },
    );
  });

  test('calls with usage details are priced exactly as calcPrice prices them on the whole catalogue', () => {
    const part = (of: number, share: number) => Math.floor(of * share);
    fc.assert(
      fc.property(
        fc.constantFrom(
          ...MODELS,
          'gpt-4o-realtime-preview',
          'gemini-2.0-flash',
          'gemini-3.1-flash-live-preview',
          'claude-opus-4-20250514',
        ),
        fc.nat(3_000_000),
        fc.nat(500_000),
        fc.array(fc.double({ min: 0, max: 0.5, noNaN: true }), { minLength: 6, maxLength: 6 }),
        fc.boolean(),
        (model, input, output, shares, sparse) => {
          const [cr, cw, ai, acr, ro, ao] = shares;
          const details: Record<string, number> = {
            cache_read_input_tokens: part(input, cr),
            cache_write_input_tokens: part(input, cw),
            audio_input_tokens: part(input, ai),
            reasoning_output_tokens: part(output, ro),
            audio_output_tokens: part(output, ao),
          };
          details.audio_cache_read_input_tokens = part(Math.min(details.cache_read_input_tokens, details.audio_input_tokens), acr);
          if (sparse) for (const k of Object.keys(details)) if (details[k] % 2 === 1) delete details[k];
          // As validation requires (usageProblems): cached audio only beside both of the counts it is part of.
          if (details.cache_read_input_tokens === undefined || details.audio_input_tokens === undefined)
            delete details.audio_cache_read_input_tokens;
          assert.equal(
            priceCall(model, input, output, details),
            libraryPriceCall(model, input, output, details),
            `${model} ${input} ${output} ${JSON.stringify(details)}`,
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('custom prices are priced exactly as calcPrice prices them on a one-model provider', () => {
    const mtok = fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1000, noNaN: true }));
    fc.assert(
      fc.property(
        fc.record({ input: mtok, output: mtok, cacheRead: fc.option(mtok), cacheWrite: fc.option(mtok) }),
        fc.nat(3_000_000),
        fc.nat(500_000),
        fc.nat(1000),
        fc.nat(1000),
        fc.nat(1000),
        (price, input, output, cr, cw, ro) => {
          const details = {
            cache_read_input_tokens: Math.floor((input * cr) / 2000),
            cache_write_input_tokens: Math.floor((input * cw) / 2000),
            reasoning_output_tokens: Math.floor((output * ro) / 1000),
          };
          const prices: Record<string, number> = { input_mtok: price.input, output_mtok: price.output };
          if (price.cacheRead !== null) prices.cache_read_mtok = price.cacheRead;
          if (price.cacheWrite !== null) prices.cache_write_mtok = price.cacheWrite;
          const provider = { id: 'p', name: 'p', api_pattern: '', models: [{ id: 'm', match: { equals: 'm' }, prices }] };
          const usage = {
            input_tokens: input,
            output_tokens: output,
            cache_read_tokens: details.cache_read_input_tokens,
            cache_write_tokens: details.cache_write_input_tokens,
            output_reasoning_tokens: details.reasoning_output_tokens,
          };
          const expected = Math.round(calcPrice(usage, 'm', { provider })!.total_price * 1e12) / 1e12;
          assert.equal(customCost(price, input, output, details), expected, JSON.stringify({ price, usage }));
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('tier boundaries are priced as the library prices them', () => {
    for (const input of [127_999, 128_000, 128_001, 199_999, 200_000, 200_001]) {
      for (const m of ['gemini-1.5-pro', 'gemini-2.5-pro'])
        assert.equal(priceCall(m, input, 1000), libraryPriceCall(m, input, 1000), `${m} ${input}`);
    }
  });
});
