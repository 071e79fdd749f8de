import { ApiError } from './api.js';
import { session } from './session.js';

/**
 * A call with the session's key that is not a plain GET of JSON (the keys page's create and revoke, the export):
 * answers the Response when it is 2xx, else throws the reply's ApiError.
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body] sent as JSON when given
 * @returns {Promise<Response>}
 */
export async function apiSend(method, path, body) {
  const headers = { authorization: `Bearer ${session.key() ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  if (res.ok) return res;
  const reply = await res.json().catch(() => null);
  const error = reply?.error ?? { code: 'http_error', message: `The server answered ${res.status}` };
  throw new ApiError(res.status, error.code, error.message);
}
