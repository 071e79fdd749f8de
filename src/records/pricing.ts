import { calcPrice, type Provider, type Usage } from '@pydantic/genai-prices';
import type { UsageDetail, UsageDetails } from '../fields/usage-details.ts';

/**
 * Prices come from @pydantic/genai-prices, a maintained catalogue of providers and models with tiered and
 * dated prices. A model it does not know is priced null, never 0.
 *
 * calcPrice matches the model name against the whole catalogue on every call, a cost every create would pay.
 * So each model name is resolved once, and when its price is a plain price per million tokens (flat or tiered by
 * input tokens, not dated, no per-request fee) for input, output and the usage details' parts, the library's
 * arithmetic runs on the cached price. The shortcut is checked against calcPrice when it is cached; a model whose
 * price does not fit keeps calling the library (on its own catalogue entry: `single`).
 */

/** A price per million tokens: flat, or tiered by the call's input tokens (the library's TieredPrices). */
type MtokPrice = number | { base: number; tiers: { start: number; price: number }[] };
/** The price keys of the usage details' parts that the shortcut prices, and which detail each one's tokens are. */
const DETAIL_PRICES: Readonly<Record<string, UsageDetail>> = {
  cache_read_mtok: 'cache_read_input_tokens',
  cache_write_mtok: 'cache_write_input_tokens',
  input_audio_mtok: 'audio_input_tokens',
  output_reasoning_mtok: 'reasoning_output_tokens',
  output_audio_mtok: 'audio_output_tokens',
};
const OUTPUT_DETAILS: ReadonlySet<UsageDetail> = new Set(['reasoning_output_tokens', 'audio_output_tokens']);
/** A priced unit: input, output or a detail's part, in the order of the model's price (the order calcPrice sums in). */
type Unit = { price: MtokPrice; of: 'input' | 'output' | UsageDetail };
/** `details`: whether the shortcut also prices calls with usage details (it was checked with them). */
type Linear = { units: Unit[]; details: boolean };
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

/**
 * calcPrice's arithmetic on the cached price: each priced detail is its own part, and input and output keep what their
 * priced parts leave (an unpriced part stays in its count, at its price); summed by direction in the price's order.
 */
function linearPrice(l: Linear, input: number, output: number, details: UsageDetails | null = null): number {
  let inputLeft = input;
  let outputLeft = output;
  if (details) {
    for (const u of l.units) {
      if (u.of === 'input' || u.of === 'output') continue;
      if (OUTPUT_DETAILS.has(u.of)) outputLeft -= details[u.of] ?? 0;
      else inputLeft -= details[u.of] ?? 0;
    }
  }
  let inputSum = 0;
  let outputSum = 0;
  for (const u of l.units) {
    const tokens = u.of === 'input' ? inputLeft : u.of === 'output' ? outputLeft : (details?.[u.of] ?? 0);
    if (u.of === 'output' || (u.of !== 'input' && OUTPUT_DETAILS.has(u.of))) outputSum += part(u.price, tokens, input);
    else inputSum += part(u.price, tokens, input);
  }
  return inputSum + outputSum;
}

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
  const units: Unit[] = [];
  let details = true;
  for (const [key, value] of Object.entries(price)) {
    const of = key === 'input_mtok' ? 'input' : key === 'output_mtok' ? 'output' : DETAIL_PRICES[key];
    if (of !== undefined) {
      if (!isMtok(value)) return null;
      units.push({ price: value, of });
    } else if (!ZERO_USAGE_KEYS.test(key))
      return null; // e.g. a per-request fee
    else if (key.startsWith('cache_audio_')) details = false; // cached audio is a part of two parts: left to the library
  }
  const linear: Linear = { units, details };
  for (const [i, o] of [
    [1000, 100],
    [0, 7],
    [123_457, 9_876],
    [250_001, 31],
    [2_000_000, 400_000],
  ]) {
    if (libraryPrice(model, providerId, i, o)?.total_price !== linearPrice(linear, i, o)) return null;
  }
  if (details) linear.details = detailsAgree(linear, model, providerId);
  return linear;
}

/** Whether the shortcut prices calls with usage details as calcPrice does (which may also refuse them). */
function detailsAgree(linear: Linear, model: string, providerId: string | undefined): boolean {
  const samples: [number, number, UsageDetails][] = [
    [10_000, 2_000, { cache_read_input_tokens: 3_000, cache_write_input_tokens: 1_000, reasoning_output_tokens: 800 }],
    [9_000, 3_000, { audio_input_tokens: 4_000, audio_output_tokens: 1_000, reasoning_output_tokens: 5 }],
    [250_001, 31, { cache_read_input_tokens: 200_000, cache_write_input_tokens: 7 }],
    [2_000_000, 400_000, { cache_read_input_tokens: 1, audio_input_tokens: 3, reasoning_output_tokens: 399_999 }],
  ];
  try {
    return samples.every(
      ([i, o, d]) =>
        calcPrice(libraryUsage(i, o, d), model, providerId ? { providerId } : undefined)?.total_price === linearPrice(linear, i, o, d),
    );
  } catch {
    return false;
  }
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
    if (details !== null && entry.linear?.details)
      return roundedCost(linearPrice(entry.linear, promptTokens ?? 0, completionTokens ?? 0, details));
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

/** Whether a model is priced by the shortcut rather than by calcPrice (for tests): without usage details, or with them. */
export function pricedByShortcut(model: string, withDetails = false): boolean {
  const linear = resolve(model)?.linear;
  return linear != null && (!withDetails || linear.details);
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
 * Cost in USD of a call at a custom price: calcPrice's arithmetic (linearPrice) on the price as a one-model provider
 * would hold it (input_mtok, output_mtok, cache_read_mtok, cache_write_mtok), so that cache reads and writes get their
 * own prices when set (else the input price), and every other part of a count (audio, reasoning) is priced as the
 * count it is part of. Null without token counts. test/pricing.test.ts holds it to calcPrice on such a provider.
 */
export function customCost(
  price: CustomPrice,
  promptTokens: number | null,
  completionTokens: number | null,
  details: UsageDetails | null = null,
): number | null {
  if (promptTokens === null && completionTokens === null) return null;
  const units: Unit[] = [
    { price: price.input, of: 'input' },
    { price: price.output, of: 'output' },
  ];
  if (price.cacheRead !== null) units.push({ price: price.cacheRead, of: 'cache_read_input_tokens' });
  if (price.cacheWrite !== null) units.push({ price: price.cacheWrite, of: 'cache_write_input_tokens' });
  return roundedCost(linearPrice({ units, details: true }, promptTokens ?? 0, completionTokens ?? 0, details));
}
