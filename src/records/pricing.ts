import { calcPrice, type Provider, type Usage } from '@pydantic/genai-prices';
import type { UsageDetail, UsageDetails } from '../fields/usage-details.ts';

/**
 * Prices come from @pydantic/genai-prices, a maintained catalogue of providers and models with tiered and
 * dated prices. A model it does not know is priced null, never 0.
 *
 * calcPrice matches the model name against the whole catalogue on every call, a cost every create would pay.
 * So each model name is resolved once, and when its price is a plain input/output price per million tokens (flat
 * or tiered by input tokens, not dated, no per-request fee) the library's arithmetic runs on the cached price. The
 * shortcut is checked against calcPrice when it is cached; a model whose price does not fit keeps calling the library.
 */

/** A price per million tokens: flat, or tiered by the call's input tokens (the library's TieredPrices). */
type MtokPrice = number | { base: number; tiers: { start: number; price: number }[] };
type Linear = { input: MtokPrice | undefined; output: MtokPrice | undefined };
/**
 * `single`: the model's provider holding only the model's entry, for calls with usage details: calcPrice on it skips
 * matching the name against the whole catalogue (~20 µs a call) and prices exactly as on the whole catalogue.
 */
type Resolved = { model: string; providerId?: string; linear: Linear | null; single: Provider | null } | null;

const resolved = new Map<string, Resolved>();
const CACHE_LIMIT = 10_000;
/**
 * Price keys for usage the shortcut never sees (so they contribute 0): a call with field_5's extension counts (cache,
 * reasoning, audio) is always priced by calcPrice, the shortcut only prices plain prompt and completion counts.
 */
const ZERO_USAGE_KEYS = /^(cache_|input_audio|output_audio|cache_audio|web_searches|storage_searches|file_searches|image)/;

function libraryPrice(model: string, providerId: string | undefined, input: number, output: number) {
  return calcPrice({ input_tokens: input, output_tokens: output }, model, providerId ? { providerId } : undefined);
}

/** The library's usage key for each of field_5's extension counts (its prices/units.yml). */
const LIBRARY_KEYS: Readonly<Record<UsageDetail, string>> = {
  cache_read_input_tokens: 'cache_read_tokens',
  cache_write_input_tokens: 'cache_write_tokens',
  audio_input_tokens: 'input_audio_tokens',
  audio_cache_read_input_tokens: 'cache_audio_read_tokens',
  reasoning_output_tokens: 'output_reasoning_tokens',
  audio_output_tokens: 'output_audio_tokens',
};

/** A call's usage as calcPrice takes it: input_tokens and output_tokens include their parts (cache, reasoning, audio). */
export function libraryUsage(prompt: number | null, completion: number | null, details: UsageDetails | null): Usage {
  const usage: Usage = { input_tokens: prompt ?? 0, output_tokens: completion ?? 0 };
  if (details) for (const [name, n] of Object.entries(details)) usage[LIBRARY_KEYS[name as UsageDetail]] = n;
  return usage;
}

/** A total as Tally stores it: null when not finite, rounded to 12 decimal places to drop float noise (0.010499999999999999). */
export const roundedCost = (total: number | undefined): number | null =>
  total === undefined || !Number.isFinite(total) ? null : Math.round(total * 1e12) / 1e12;

/** The library's per-unit arithmetic (de/_e in its source), for one direction. */
function part(price: MtokPrice | undefined, tokens: number, inputTokens: number): number {
  if (price === undefined) return 0;
  if (typeof price === 'number') return (price * tokens) / 1e6;
  if (tokens <= 0) return 0;
  let p = price.base;
  for (const tier of price.tiers) if (inputTokens > tier.start) p = tier.price;
  return (((p * tokens) / 1e6) * 1e6) / 1e6;
}

const linearPrice = (l: Linear, input: number, output: number) => part(l.input, input, input) + part(l.output, output, input);

const isMtok = (v: unknown): v is MtokPrice =>
  typeof v === 'number' ||
  (typeof v === 'object' &&
    v !== null &&
    typeof (v as { base?: unknown }).base === 'number' &&
    Array.isArray((v as { tiers?: unknown }).tiers));

/** The model's price as a Linear when the shortcut reproduces calcPrice exactly, else null. */
function linearOf(model: string, providerId: string | undefined): Linear | null {
  const sample = libraryPrice(model, providerId, 1000, 100);
  if (!sample || Array.isArray((sample.model as { prices?: unknown }).prices)) return null; // dated or time-of-day prices
  const price = sample.model_price as Record<string, unknown>;
  for (const [key, value] of Object.entries(price)) {
    if (key === 'input_mtok' || key === 'output_mtok') {
      if (!isMtok(value)) return null;
    } else if (!ZERO_USAGE_KEYS.test(key)) return null; // e.g. a per-request fee
  }
  const linear: Linear = { input: price.input_mtok as MtokPrice | undefined, output: price.output_mtok as MtokPrice | undefined };
  for (const [i, o] of [
    [1000, 100],
    [0, 7],
    [123_457, 9_876],
    [250_001, 31],
    [2_000_000, 400_000],
  ]) {
    if (libraryPrice(model, providerId, i, o)?.total_price !== linearPrice(linear, i, o)) return null;
  }
  return linear;
}

function tryResolve(model: string, providerId?: string): boolean {
  try {
    return libraryPrice(model, providerId, 0, 0) !== null;
  } catch {
    return false;
  }
}

/**
 * Model makers whose own price lists are tried, in this order, for a bare model name that the catalogue's
 * provider matching misses (it knows OpenAI by its chat model names, not text-embedding-3-small). Makers only,
 * never resellers or hosts.
 */
const MAKERS = ['openai', 'anthropic', 'google', 'mistral', 'cohere', 'deepseek', 'x-ai'];

/** Finds the catalogue entry for a model name, also as "provider/model" or "provider:model". */
function resolve(model: string): Resolved {
  const cached = resolved.get(model);
  if (cached !== undefined) return cached;
  let found: { model: string; providerId?: string } | null = null;
  if (tryResolve(model)) found = { model };
  else {
    const m = /^([A-Za-z0-9_-]+)[/:](.+)$/.exec(model);
    if (m && tryResolve(m[2], m[1].toLowerCase())) found = { model: m[2], providerId: m[1].toLowerCase() };
    else if (m && tryResolve(m[2])) found = { model: m[2] };
    else {
      const maker = MAKERS.find((providerId) => tryResolve(model, providerId));
      if (maker) found = { model, providerId: maker };
    }
  }
  let result: Resolved = null;
  if (found) {
    let linear: Linear | null = null;
    let single: Provider | null = null;
    try {
      linear = linearOf(found.model, found.providerId);
      const sample = libraryPrice(found.model, found.providerId, 0, 0);
      if (sample) single = { ...sample.provider, models: [sample.model] };
    } catch {
      linear = null;
    }
    result = { ...found, linear, single };
  }
  if (resolved.size >= CACHE_LIMIT) resolved.clear();
  resolved.set(model, result);
  return result;
}

export function isKnownModel(model: string | null): boolean {
  return model !== null && resolve(model) !== null;
}

/**
 * Cost in USD of a call from its prompt and completion token counts and field_5's extension counts (each part of its
 * count: cache reads and writes, reasoning, audio), by the catalogue; null when the model is unknown.
 */
export function priceCall(
  model: string | null,
  promptTokens: number | null,
  completionTokens: number | null,
  details: UsageDetails | null = null,
): number | null {
  if (model === null || (promptTokens === null && completionTokens === null)) return null;
  const entry = resolve(model);
  if (!entry) return null;
  try {
    if (details !== null) {
      const usage = libraryUsage(promptTokens, completionTokens, details);
      const options = entry.single ? { provider: entry.single } : entry.providerId ? { providerId: entry.providerId } : undefined;
      return roundedCost(calcPrice(usage, entry.model, options)?.total_price);
    }
    return roundedCost(
      entry.linear
        ? linearPrice(entry.linear, promptTokens ?? 0, completionTokens ?? 0)
        : libraryPrice(entry.model, entry.providerId, promptTokens ?? 0, completionTokens ?? 0)?.total_price,
    );
  } catch {
    return null; // usage the price cannot split (e.g. cached audio on a model that prices it, not sent)
  }
}

/** Whether a model is priced by the shortcut rather than by calcPrice (for tests). */
export function pricedByShortcut(model: string): boolean {
  return resolve(model)?.linear != null;
}

/** The price the library itself computes on the whole catalogue, bypassing both shortcuts (for tests that prove they agree). */
export function libraryPriceCall(
  model: string,
  promptTokens: number,
  completionTokens: number,
  details: UsageDetails | null = null,
): number | null {
  const entry = resolve(model);
  if (!entry) return null;
  const usage = libraryUsage(promptTokens, completionTokens, details);
  try {
    return roundedCost(calcPrice(usage, entry.model, entry.providerId ? { providerId: entry.providerId } : undefined)?.total_price);
  } catch {
    return null;
  }
}

/** The prices an admin set (USD per 1M tokens), as the library's price keys. */
export interface CustomPrice {
  input: number;
  output: number;
  cacheRead: number | null;
  cacheWrite: number | null;
}

/**
 * Cost in USD of a call at a custom price, computed by calcPrice on a one-model provider holding that price, so that
 * cache reads and writes get their own prices when set (else the input price), and every other part of a count (audio,
 * reasoning) is priced as the count it is part of. Null without token counts.
 */
export function customCost(
  price: CustomPrice,
  promptTokens: number | null,
  completionTokens: number | null,
  details: UsageDetails | null = null,
): number | null {
  if (promptTokens === null && completionTokens === null) return null;
  const prices: Record<string, number> = { input_mtok: price.input, output_mtok: price.output };
  if (price.cacheRead !== null) prices.cache_read_mtok = price.cacheRead;
  if (price.cacheWrite !== null) prices.cache_write_mtok = price.cacheWrite;
  const provider = {
    id: 'tally-custom',
    name: 'Tally custom prices',
    api_pattern: '',
    models: [{ id: 'custom', match: { equals: 'custom' }, prices }],
  };
  try {
    return roundedCost(calcPrice(libraryUsage(promptTokens, completionTokens, details), 'custom', { provider })?.total_price);
  } catch {
    return null;
  }
}
