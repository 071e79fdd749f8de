import type { Logger } from 'pino';
import type { ModelPriceRow, Store } from '../store/types.ts';
import { bySpecificity, compilePattern, type ModelPattern } from './price-patterns.ts';

/**
 * How long the prices of a process may lag a change made elsewhere (the CLI, another replica): the book reads them
 * again this often, well within the 5 s docs/derived-fields.md promises. A change through this process's API is
 * read at once.
 */
export const PRICE_RECHECK_MS = 2000;
const MEMO_LIMIT = 10_000;

/** Finds the custom price of a call, if an admin set one (else the catalogue prices it). */
export interface PriceFinder {
  /** The price for a call of the org to the model at ts (microseconds), or null. */
  find(orgId: string, model: string, ts: number): ModelPriceRow | null;
}

export interface PriceBook extends PriceFinder {
  /** Reads every price again; resolves once the new ones are in use. */
  refresh(): Promise<void>;
  stop(): void;
}

export const NO_CUSTOM_PRICES: PriceFinder = { find: () => null };

/** A pattern of one scope with its prices, latest effective-from first. */
interface Priced {
  pattern: ModelPattern;
  rows: ModelPriceRow[];
}

/** The prices by scope (an org id, or '' for the server's), each scope's patterns most specific first. */
function index(rows: readonly ModelPriceRow[]): Map<string, Priced[]> {
  const byScope = new Map<string, Map<string, Priced>>();
  for (const row of rows) {
    const scope = row.orgId ?? '';
    const patterns = byScope.get(scope) ?? new Map<string, Priced>();
    byScope.set(scope, patterns);
    const priced = patterns.get(row.model) ?? { pattern: compilePattern(row.model), rows: [] };
    patterns.set(row.model, priced);
    priced.rows.push(row);
  }
  const out = new Map<string, Priced[]>();
  for (const [scope, patterns] of byScope) {
    const list = [...patterns.values()].sort((a, b) => bySpecificity(a.pattern, b.pattern));
    for (const p of list) p.rows.sort((a, b) => (b.effectiveFrom ?? -Infinity) - (a.effectiveFrom ?? -Infinity));
    out.set(scope, list);
  }
  return out;
}

/**
 * The rule (docs/derived-fields.md#custom-prices): the org's own prices before the server's, within a scope the most
 * specific pattern that has a price in effect at the call's time, and of that pattern's prices the latest in effect.
 */
export function findPrice(scopes: ReadonlyMap<string, Priced[]>, orgId: string, model: string, ts: number, memo?: Map<string, Priced[]>) {
  for (const scope of [orgId, '']) {
    const all = scopes.get(scope);
    if (!all) continue;
    const key = `${scope}\u0000${model}`;
    let matching = memo?.get(key);
    if (matching === undefined) {
      matching = all.filter((p) => p.pattern.matches(model));
      if (memo) {
        if (memo.size >= MEMO_LIMIT) memo.clear();
        memo.set(key, matching);
      }
    }
    for (const p of matching) {
      const row = p.rows.find((r) => r.effectiveFrom === null || r.effectiveFrom <= ts);
      if (row) return row;
    }
  }
  return null;
}

/** A finder over fixed rows (tests, and the book's snapshot). */
export function priceFinder(rows: readonly ModelPriceRow[]): PriceFinder {
  const scopes = index(rows);
  const memo = new Map<string, Priced[]>();
  return { find: (orgId, model, ts) => (scopes.size === 0 ? null : findPrice(scopes, orgId, model, ts, memo)) };
}

/**
 * The custom prices of the store, read at start and again every PRICE_RECHECK_MS (one read at a time); a failed read
 * keeps the prices in use and is logged, and the next one tries again.
 */
export async function startPriceBook(store: Store, log: Logger, everyMs = PRICE_RECHECK_MS): Promise<PriceBook> {
  let current = priceFinder(await store.modelPrices());
  let reading: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  const refresh = (): Promise<void> => {
    reading ??= store.modelPrices().then(
      (rows) => {
        current = priceFinder(rows);
        reading = null;
      },
      (err) => {
        reading = null;
        throw err;
      },
    );
    return reading;
  };
  let failing = false; // one warning per outage, not one every few seconds
  const tick = () => {
    refresh()
      .then(
        () => {
          if (failing) log.info('the custom model prices are read again');
          failing = false;
        },
        (err) => {
          if (!failing) log.warn({ err }, 'could not read the custom model prices; the ones read before stay in use');
          failing = true;
        },
      )
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, everyMs).unref();
      });
  };
  timer = setTimeout(tick, everyMs).unref();
  return {
    find: (orgId, model, ts) => current.find(orgId, model, ts),
    async refresh() {
      // A read begun before the change may not see it: wait for it, then read again.
      if (reading) await reading.catch(() => {});
      await refresh();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
