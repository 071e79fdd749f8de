/**
 * The view (start time, filters, page, page size, sort, open record or thread) lives in the page's query string, in
 * the API's own names, so a view can be shared, bookmarked and reloaded. Defaults are left out.
 */

export const DEFAULT_SORT = '-timestamp';
export const DEFAULT_PAGE_SIZE = 50;

/**
 * @typedef {{ since: string, filters: Record<string, {operator: string, value: unknown[]}>, page: number,
 *   pageSize: number, sort: string, record: string | null, thread: string | null }} View
 */

/** @returns {View} */
export function readView(search = location.search) {
  const q = new URLSearchParams(search);
  /** @type {Record<string, any>} */
  let filters = {};
  try {
    const parsed = JSON.parse(q.get('filters') ?? '{}');
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) filters = parsed;
  } catch {
    /* a hand-edited URL with broken JSON: start without filters */
  }
  const positive = (raw, fallback) => (/^\d+$/.test(raw ?? '') && Number(raw) > 0 ? Number(raw) : fallback);
  return {
    since: q.get('param_a') ?? '',
    filters,
    page: positive(q.get('param_b'), 1),
    pageSize: positive(q.get('param_c'), DEFAULT_PAGE_SIZE),
    sort: q.get('param_d') || DEFAULT_SORT,
    record: q.get('record'),
    thread: q.get('thread'),
  };
}

/** @param {View} view */
export function viewSearch(view) {
  const q = new URLSearchParams();
  if (view.since) q.set('param_a', view.since);
  if (Object.keys(view.filters).length > 0) q.set('filters', JSON.stringify(view.filters));
  if (view.page !== 1) q.set('param_b', String(view.page));
  if (view.pageSize !== DEFAULT_PAGE_SIZE) q.set('param_c', String(view.pageSize));
  if (view.sort !== DEFAULT_SORT) q.set('param_d', view.sort);
  if (view.record) q.set('record', view.record);
  if (view.thread) q.set('thread', view.thread);
  const text = q.toString();
  return text ? `?${text}` : '';
}

/**
 * Writes the view to the address bar: push for a new view (Back returns to the previous one), replace
 * for details such as the open record.
 * @param {View} view @param {{ push?: boolean }} [options]
 */
export function writeView(view, { push = true } = {}) {
  const url = `${location.pathname}${viewSearch(view)}`;
  if (url === `${location.pathname}${location.search}`) return;
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
}
