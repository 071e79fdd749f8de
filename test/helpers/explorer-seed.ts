/**
 * Sixty varied records for the explorer's browser test: models, customers, tiers, costs and latencies
 * vary; one is a tool-calling conversation, one a failed call with warnings, one carries markup meant to
 * run as script if the page ever treated record text as HTML.
 */

export const XSS_TEXT = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
export const XSS_CUSTOMER = '<b onmouseover="window.__pwned=3">cust_xss</b>';

const MODELS = ['gpt-4o', 'gpt-4o-mini', 'claude-3-5-sonnet-20241022', 'gpt-4o', 'llama-local'];
const TIERS = ['gold', 'silver', 'bronze'];

/** i² seconds after 09:00 on 2025-03-01: distinct, ordered timestamps, busier early on (a livelier chart). */
const at = (i: number) => new Date(Date.UTC(2025, 2, 1, 9, 0, i * i)).toISOString();

function plain(i: number): Record<string, unknown> {
  return {
    field_3: 'type_a',
    field_4: MODELS[i % MODELS.length],
    field_1: [
      { role: 'system', content: 'You are a terse assistant.' },
      { role: 'user', content: `Question number ${i}?` },
    ],
    field_2: { role: 'assistant', content: `Answer number ${i}.` },
    field_5: { sub_field_a: 100 + i * 7, sub_field_b: 20 + (i % 9) * 5 },
    field_6: Math.round((0.0005 + ((i * 37) % 23) * 0.0011) * 1e6) / 1e6,
    field_7: Math.round((0.3 + ((i * 13) % 17) * 0.21) * 100) / 100,
    field_8: 0.12,
    field_10: `customer_${i % 6}`,
    field_11: `thread_${i % 10}`,
    field_9: { tier: TIERS[i % 3], app: 'checkout', version: i % 2 ? 'v2' : 'v1' },
    timestamp: at(i),
  };
}

const toolCall = (i: number): Record<string, unknown> => ({
  ...plain(i),
  field_4: 'gpt-4o',
  field_1: [
    { role: 'user', content: 'What is the weather in Paris?' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_weather_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'call_weather_1', content: '{"temp_c": 18, "sky": "cloudy"}' },
  ],
  field_2: { role: 'assistant', content: 'It is 18 °C and cloudy in Paris.' },
  field_16: [
    {
      type: 'type_a',
      definition: {
        name: 'get_weather',
        description: 'Current weather for a city',
        parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string' } }, required: ['city'] },
      },
    },
  ],
  field_17: 'auto',
  field_10: 'customer_tools',
});

const failed = (i: number): Record<string, unknown> => ({
  ...plain(i),
  field_18: 429,
  field_19: 'Rate limit exceeded: 10000 tokens per minute',
  field_20: { retry_after_s: 20, note: 'request was retried twice' },
  field_2: null,
  field_6: 0,
  field_10: 'customer_errors',
});

const xss = (i: number): Record<string, unknown> => ({
  ...plain(i),
  field_1: [{ role: 'user', content: XSS_TEXT }],
  field_2: { role: 'assistant', content: `I will not run ${XSS_TEXT}` },
  field_10: XSS_CUSTOMER,
  field_9: { tier: 'gold', note: XSS_TEXT },
});

export const TOOL_INDEX = 41;
export const ERROR_INDEX = 47;
export const XSS_INDEX = 53;

export function explorerSeed(count = 60): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) =>
    i === TOOL_INDEX ? toolCall(i) : i === ERROR_INDEX ? failed(i) : i === XSS_INDEX ? xss(i) : plain(i),
  );
}
