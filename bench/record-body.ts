/**
 * Realistic create bodies: a ~1.5 KB chat call (messages in field_1, the assistant reply in field_2), with
 * model, usage, latency, customer, thread and 3-4 metadata keys. Deterministic for a given index.
 */

export const MODELS = [
  'gpt-4o-mini',
  'gpt-4o',
  'gpt-4.1',
  'gpt-4.1-mini',
  'gpt-4.1-nano',
  'o3-mini',
  'o4-mini',
  'gpt-3.5-turbo',
  'claude-3-5-sonnet-20241022',
  'claude-3-5-haiku-20241022',
  'claude-3-7-sonnet-20250219',
  'claude-sonnet-4-20250514',
  'gemini-1.5-flash',
  'gemini-1.5-pro',
  'gemini-2.0-flash',
  'mistral-large-latest',
  'mistral-small-latest',
  'llama-3.1-70b',
  'llama-3.1-8b',
  'command-r-plus',
];
export const ENVIRONMENTS = ['production', 'staging', 'development'];
export const FEATURES = ['chat', 'search', 'summarise', 'classify', 'extract'];
export const TIERS = ['free', 'pro', 'enterprise'];
export const CUSTOMERS = 1000;

const WORDS = (
  'the invoice shipment refund order account password delivery customer support agent policy warranty ' +
  'please could you help me with my recent purchase it arrived damaged and I would like a replacement ' +
  'thank you for reaching out I am sorry to hear that let me look into this for you right away Straße Überweisung'
).split(' ');

/** A small fast PRNG so bodies are the same on every run. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

function sentence(r: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(pick(r, WORDS));
  return `${out.join(' ')}.`;
}

/** The create body for record number i. */
export function chatRecord(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const r = rng(i * 2654435761 + 1);
  const prompt = 120 + Math.floor(r() * 900);
  const completion = 20 + Math.floor(r() * 400);
  const latency = Math.round((0.3 + r() * 4) * 1000) / 1000;
  const metadata: Record<string, unknown> = { environment: pick(r, ENVIRONMENTS), feature: pick(r, FEATURES), tier: pick(r, TIERS) };
  if (r() < 0.5) metadata.app_version = `1.${Math.floor(r() * 4)}.0`;
  return {
    field_3: 'type_a',
    field_4: pick(r, MODELS),
    field_1: [
      { role: 'system', content: `You are a helpful support assistant. ${sentence(r, 25)}` },
      { role: 'user', content: sentence(r, 40) },
      { role: 'assistant', content: sentence(r, 30) },
      { role: 'user', content: sentence(r, 35) },
    ],
    field_2: { role: 'assistant', content: sentence(r, 60) },
    field_5: { sub_field_a: prompt, sub_field_b: completion, sub_field_c: prompt + completion },
    field_7: latency,
    field_8: Math.round(latency * 0.2 * 1000) / 1000,
    field_10: `customer_${Math.floor(r() * CUSTOMERS)}`,
    field_11: `thread_${Math.floor(r() * 50_000)}`,
    field_9: metadata,
    ...extra,
  };
}
