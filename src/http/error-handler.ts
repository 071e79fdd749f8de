import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorCode } from '../errors.ts';

/** Fastify's own client errors, in Tally's codes. */
const FASTIFY_CODES: Record<string, () => AppError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () => new AppError('payload_too_large', 'The request body is larger than the server accepts'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => new AppError('unsupported_media_type', 'Send the body as application/json'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => new AppError('invalid_json', 'The body is empty; send a JSON object'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => new AppError('invalid_json', 'Content-Length does not match the body'),
  FST_ERR_BAD_URL: () => new AppError('bad_request', 'The URL is not valid: a %-escape in its path does not decode'),
};

/** Turns any error into Tally's coded error. */
export function toAppError(error: FastifyError | AppError | Error, request: FastifyRequest): AppError {
  let appError: AppError;
  if (error instanceof AppError) appError = error;
  else if ('code' in error && typeof error.code === 'string' && FASTIFY_CODES[error.code]) appError = FASTIFY_CODES[error.code]();
  else if ('statusCode' in error && typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    appError = new AppError('validation_error', error.message);
  } else {
    request.log.error({ err: error }, 'unhandled error');
    appError = new AppError('internal_error', 'Something went wrong on the server; the request id is in x-request-id');
  }
  return appError;
}

/**
 * The one error handler: any error becomes the one JSON error shape. A 5xx reveals nothing internal; the log
 * has the details. onRejected sees every code sent (for metrics).
 */
export function createErrorHandler(onRejected: (code: ErrorCode) => void = () => {}) {
  return function errorHandler(error: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply) {
    const appError = toAppError(error, request);
    if (appError.status >= 500) request.log.warn({ code: appError.code }, appError.message);
    onRejected(appError.code);
    return reply.code(appError.status).headers(appError.headers).send(appError.toJSON());
  };
}
