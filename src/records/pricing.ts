import { calcPrice } from '@pydantic/genai-prices';

/**
 * Prices come from @pydantic/genai-prices, a maintained catalogue of providers and models with tiered and
 * dated prices. A model it does not know is priced null, never 0.
 */

type Resolved = { model: string; providerId?: string } | null;
const resolved = new Map<string, Resolved>();
const CACHE_LIMIT = 10_000;

function tryResolve(model: string, providerId?: string): boolean {
  try {
    return calcPrice({ input_tokens: 0, output_tokens: 0 }, model, providerId ? { providerId } : undefined) !== null;
  } catch {
    return false;
  }
}

/** Finds the catalogue entry for a model name, also as "provider/model" or "provider:model". */
function resolve(model: string): Resolved {
  const cached = resolved.get(model);
  if (cached !== undefined) return cached;
  let result: Resolved = null;
  if (tryResolve(model)) result = { model };
  else {
    const m = /^([A-Za-z0-9_-]+)[/:](.+)$/.exec(model);
    if (m && tryResolve(m[2], m[1].toLowerCase())) result = { model: m[2], providerId: m[1].toLowerCase() };
    else if (m && tryResolve(m[2])) result = { model: m[2] };
  }
  if (resolved.size >= CACHE_LIMIT) resolved.clear();
  resolved.set(model, result);
  return result;
}

export function isKnownModel(model: string | null): boolean {
  return model !== null && resolve(model) !== null;
}

/** Cost in USD of a call from its prompt and completion token counts; null when the model is unknown. */
export function priceCall(model: string | null, promptTokens: number | null, completionTokens: number | null): number | null {
  if (model === null || (promptTokens === null && completionTokens === null)) return null;
  const entry = resolve(model);
  if (!entry) return null;
  try {
    const result = calcPrice(
      { input_tokens: promptTokens ?? 0, output_tokens: completionTokens ?? 0 },
      entry.model,
      entry.providerId ? { providerId: entry.providerId } : undefined,
    );
    if (!result || !Number.isFinite(result.total_price)) return null;
    return Math.round(result.total_price * 1e12) / 1e12; // drop float noise such as 0.010499999999999999
  } catch {
    return null;
  }
}
