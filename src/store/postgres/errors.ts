/** Socket errors: the server is down, restarting or unreachable. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATE classes and codes that say "not now" rather than "wrong request": lost or refused connections (08),
 * resources exhausted (53: too many connections, disk full), shutdown or restart (57P0x), statement timeout
 * (57014) of a write or a lookup, I/O failure (58), a standby during failover (25006), serialization failure and
 * deadlock (40001, 40P01). A read's statement timeout is its budget running out instead (read.ts: query_timeout).
 */
const UNAVAILABLE_CLASSES = ['08', '53', '58'];
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '57P04', '57P05', '57014', '25006', '40001', '40P01']);

/** node-postgres' own errors for a dead socket, a connect timeout, a client-side query timeout or a closed pool. */
const DRIVER_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|not queryable|Cannot use a pool after calling end/i;

/** True when the error means PostgreSQL cannot be reached or cannot serve right now. */
export function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || UNAVAILABLE_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && UNAVAILABLE_CLASSES.includes(code.slice(0, 2))) return true;
  }
  return DRIVER_MESSAGES.test(err.message);
}

/** PostgreSQL cancelled the statement (57014 query_canceled): on a read, its statement_timeout, the read budget. */
export function isStatementTimeout(err: unknown): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === '57014';
}
