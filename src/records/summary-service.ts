import type { Condition } from '../query/filters.ts';
import type { Store } from '../store/types.ts';
import { toApiSummary, type ApiSummary } from './to-api-summary.ts';

export interface SummaryService {
  /** Count, cost, tokens, latency percentiles, error rate and a time series over what a list would match. */
  summary(orgId: string, since: number | null, conditions: Condition[]): Promise<ApiSummary>;
}

export function createSummaryService(store: Store): SummaryService {
  return {
    async summary(orgId, since, conditions) {
      return toApiSummary(await store.summary(orgId, { conditions, since }));
    },
  };
}
