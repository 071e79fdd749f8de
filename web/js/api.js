import { session } from './session.js';

/** An error reply from the API, with its stable code. */
export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let clockOffsetMs = 0; // the server's clock minus this browser's, from the last reply's Date header

/** The server's clock, as its last reply gave it: never ahead of it (Date has whole seconds, truncated). */
export const serverNow = () => Date.now() + clockOffsetMs;

/**
 * GET an API path with query parameters, authorised with the session's key (or the one given).
 * @param {string} path
 * @param {Record<string, string | number | null | undefined>} [params]
 * @param {{ key?: string, signal?: AbortSignal }} [options]
 */
export async function apiGet(path, params = {}, options = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params))
    if (value !== null && value !== undefined && value !== '') query.set(name, String(value));
  const text = query.toString();
  const url = text ? `${path}?${text}` : path;
  const key = options.key ?? session.key() ?? '';
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${key}`, accept: 'application/json' },
    signal: options.signal,
    cache: 'no-store',
  });
  const date = Date.parse(res.headers.get('date') ?? '');
  if (!Number.isNaN(date)) clockOffsetMs = date - Date.now();
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const error = body?.error ? body.error : { code: 'http_error', message: `The server answered ${res.status}` };
    throw new ApiError(res.status, error.code, error.message);
  }
  return body;
}

/** The list and summary take the same view: param_a and filters (list also param_b..param_d). */
export function viewParams(view) {
  return {
    param_a: view.since,
    filters: Object.keys(view.filters).length > 0 ? JSON.stringify(view.filters) : null,
  };
}

export const api = {
  meta: (key) => apiGet('/api/meta/fields', {}, { key }),
  list: (view, signal) =>
    apiGet('/api/records/list/', { ...viewParams(view), param_b: view.page, param_c: view.pageSize, param_d: view.sort }, { signal }),
  summary: (view, signal) => apiGet('/api/records/summary/', viewParams(view), { signal }),
  /** One trace: the records with this field_13, by start, at most limit of them (next is set when there are more). */
  trace: (traceId, limit, signal) =>
    apiGet(
      '/api/records/list/',
      { filters: JSON.stringify({ field_13: { operator: '', value: [traceId] } }), param_d: 'timestamp', param_c: limit, count: 'false' },
      { signal },
    ),
  /** One thread: the records with this field_11, by time, at most limit of them (next is set when there are more). */
  thread: (threadId, limit, signal) =>
    apiGet(
      '/api/records/list/',
      { filters: JSON.stringify({ field_11: { operator: '', value: [threadId] } }), param_d: 'timestamp', param_c: limit, count: 'false' },
      { signal },
    ),
  record: (id, signal) => apiGet(`/api/records/${encodeURIComponent(id)}/`, {}, { signal }),
};
