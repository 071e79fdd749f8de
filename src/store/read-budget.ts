import { AppError } from '../errors.ts';

/** The read budget when none is given (TALLY_QUERY_TIMEOUT_MS's default). */
export const DEFAULT_QUERY_TIMEOUT_MS = 5_000;

/**
 * The answer to a list or summary that ran out of its time budget (TALLY_QUERY_TIMEOUT_MS), the same on every
 * store. Its own code, not store_unavailable: the store is fine, this query is too costly to finish in time.
 */
export function queryTimeout(budgetMs: number): AppError {
  return new AppError(
    'query_timeout',
    `The query did not finish within the ${budgetMs} ms a read may take, and was stopped. Narrow it: a start time ` +
      '(param_a), an equality on an indexed field (field_10, field_12, field_13, field_9__<key>), a shorter search ' +
      'text, or count=false to skip counting the matches',
    [{ message: `time budget ${budgetMs} ms (TALLY_QUERY_TIMEOUT_MS) exceeded` }],
  );
}
