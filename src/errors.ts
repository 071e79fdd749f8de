/** One catalogue of coded errors: every error a client can see has a stable code and an HTTP status. */
export const ERROR_CODES = {
  bad_request: 400,
  validation_error: 400,
  invalid_json: 400,
  invalid_query_parameter: 400,
  unknown_filter_field: 400,
  unknown_operator: 400,
  invalid_filter_value: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  request_timeout: 408,
  idempotency_conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  expectation_failed: 417,
  unstorable_record: 422,
  query_timeout: 422,
  rate_limited: 429,
  headers_too_large: 431,
  overloaded: 503,
  store_unavailable: 503,
  shutting_down: 503,
  internal_error: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorDetail {
  field?: string;
  message: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: ErrorDetail[];
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message: string, details: ErrorDetail[] = [], headers: Record<string, string> = {}) {
    super(message);
    this.code = code;
    this.status = ERROR_CODES[code];
    this.details = details;
    this.headers = headers;
  }

  toJSON() {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

/** A store refusing to give an API key to a second org (a key belongs to one org for good). */
export class KeyConflictError extends Error {
  constructor() {
    super('That API key already belongs to another org');
  }
}

/** True when an error from a store means it is unavailable (retry later), not that it refused what it was given. */
export function isStoreUnavailable(err: unknown): boolean {
  return err instanceof AppError && err.code === 'store_unavailable';
}

/**
 * The store's server could not be reached at start: its address, database, user or password is wrong, or it is
 * down. The process reports it as a problem with the setting that points at the store.
 */
export class StoreConnectError extends Error {}
