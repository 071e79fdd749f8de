import { parseFilters } from '../query/filters.ts';
import type { ListParams } from '../query/list-params.ts';
import type { Store } from '../store/types.ts';
import { toApiSummary, type ApiSummary } from './to-api-summary.ts';

export interface SummaryService {
  /** Count, cost, tokens, latency percentiles, error rate and a time series over what a list would match. */
  summary(orgId: string, params: ListParams, filters: unknown): Promise<ApiSummary>;
}

export function createSummaryService(store: Store): SummaryService {
  return {
    async summary(orgId, params, filters) {
      const conditions = parseFilters(filters);
      return toApiSummary(await store.summary(orgId, { conditions, since: params.since }));
    },
  };
}
