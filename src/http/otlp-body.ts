import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorCode } from '../errors.ts';
import { contentTypeOf, encodingOf, statusBody } from '../otlp/reply.ts';
import { toAppError } from './error-handler.ts';

/**
 * The OTLP scope's bodies and errors. A body is taken as its bytes (decoded from gzip or deflate by
 * body-encoding.ts, within the body limit) and decoded by the route; any error is answered as OTLP/HTTP asks, a
 * google.rpc.Status in the request's encoding (JSON when its content type is neither), with the status and headers
 * (Retry-After) the same error has elsewhere.
 */
export function registerOtlpBody(scope: FastifyInstance, onRejected: (code: ErrorCode) => void): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body: Buffer, done) => done(null, body));
  scope.setErrorHandler((error: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const appError = toAppError(error, request);
    if (appError.status >= 500) request.log.warn({ code: appError.code }, appError.message);
    onRejected(appError.code);
    const encoding = encodingOf(request.headers['content-type']) ?? 'json';
    return reply
      .code(appError.status)
      .headers(appError.headers)
      .type(contentTypeOf(encoding))
      .send(statusBody(appError.status, `${appError.code}: ${appError.message}`, encoding));
  });
}

/** An onRequest hook: 415 for a body that is neither OTLP's protobuf nor its JSON, before the body is read. */
export async function requireOtlpContentType(request: FastifyRequest): Promise<void> {
  if (encodingOf(request.headers['content-type']) === null)
    throw new AppError('unsupported_media_type', 'Send an OTLP body as application/x-protobuf or application/json');
}
