import { createRequire } from 'node:module';

/**
 * Each encoding's rank table is loaded on first use, not at start: o200k_base and cl100k_base together hold
 * ~110 MB of memory, and a server whose clients send usage (most SDKs do) never needs them. The first
 * record without usage waits once for the load (~0.2 s).
 */
type Counter = (text: string) => number;
const load = createRequire(import.meta.url);
const lazy = (encoding: string): Counter => {
  let count: Counter | null = null;
  return (text) => (count ??= (load(`gpt-tokenizer/encoding/${encoding}`) as { countTokens: Counter }).countTokens)(text);
};
const countO200k = lazy('o200k_base');
const countCl100k = lazy('cl100k_base');

/**
 * Token estimates with a real BPE tokenizer (gpt-tokenizer). OpenAI's newer models use o200k_base, older
 * ones cl100k_base; other vendors' tokenizers are not public in JS, so their counts are approximated with
 * o200k_base. Every estimated record says so in tokens_estimated.
 */
function counterFor(model: string): (text: string) => number {
  return /^(gpt-4(?!o)|gpt-3\.5|text-embedding|davinci|babbage)/i.test(model.replace(/^[^/:]+[/:]/, '')) ? countCl100k : countO200k;
}

/** The text a tokenizer should see: message contents for chat structures, else the string itself. */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(textOf).join('\n');
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if ('content' in obj) return textOf(obj.content);
    if ('text' in obj) return textOf(obj.text);
    return JSON.stringify(obj);
  }
  return value === null || value === undefined ? '' : String(value);
}

export function estimateTokens(model: string, content: unknown): number {
  const text = textOf(content);
  if (text === '') return 0;
  try {
    return counterFor(model)(text);
  } catch {
    return Math.ceil(text.length / 4); // a prompt holding special-token text the encoder refuses
  }
}
