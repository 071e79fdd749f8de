import { parseSort } from './records-table.js';
import { DEFAULT_SORT } from './view-state.js';

/**
 * Sorting by cost, most expensive first. The API keeps Django's NULL ordering, where a descending sort puts every
 * NULL first: every call without a known price (field_6 null) would come before the most expensive one. So for that
 * sort the explorer lists the priced calls only (it adds field_6 isnull false to its query) and counts the unpriced
 * ones apart, for a note with a link to them. A view that already filters on the cost keeps its own filter: the API
 * takes one filter per field, and a comparison already leaves NULLs out.
 */

export const COST_FIELD = 'field_6';

/**
 * @param {import('./view-state.js').View} view
 * @param {Record<string, string>} sortOptions the catalogue's param_d options (option_2 is field_6)
 * @returns {{ listView: import('./view-state.js').View, unpricedView: import('./view-state.js').View | null }}
 *   listView: what the table lists; unpricedView: the view of the calls set aside (null when none are)
 */
export function costSortViews(view, sortOptions) {
  const { field, descending } = parseSort(view.sort, sortOptions);
  if (field !== COST_FIELD || !descending || COST_FIELD in view.filters) return { listView: view, unpricedView: null };
  const priced = { ...view.filters, [COST_FIELD]: { operator: 'isnull', value: [false] } };
  const unpriced = { ...view.filters, [COST_FIELD]: { operator: 'isnull', value: [true] } };
  return {
    listView: { ...view, filters: priced },
    unpricedView: { ...view, filters: unpriced, sort: DEFAULT_SORT, page: 1, record: null, thread: null },
  };
}
