import type { Condition } from '../query/filters.ts';
import type { Store } from '../store/types.ts';
import { summaryFromRollups } from './summary-rollups.ts';
import { toApiSummary, type ApiSummary } from './to-api-summary.ts';

export interface SummaryService {
  /** Count, cost, tokens, latency percentiles, error rate and a time series over what a list would match. */
  summary(orgId: string, since: number | null, conditions: Condition[]): Promise<ApiSummary>;
}

export function createSummaryService(store: Store): SummaryService {
  return {
    async summary(orgId, since, conditions) {
      const q = { conditions, since };
      return toApiSummary((await summaryFromRollups(store, orgId, q)) ?? (await store.summary(orgId, q)));
    },
  };
}
