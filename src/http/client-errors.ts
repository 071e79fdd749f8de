import type { FastifyInstance } from 'fastify';
import http from 'node:http';
import type { Socket } from 'node:net';
import { AppError, type ErrorCode } from '../errors.ts';
import { SECURITY_HEADERS } from './security-headers.ts';

/** The connection-level error as one of Tally's coded errors. */
function toAppError(err: NodeJS.ErrnoException): AppError {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return new AppError('request_timeout', 'The request was not received in time');
  if (err.code === 'HPE_HEADER_OVERFLOW') return new AppError('headers_too_large', 'The request headers are too large');
  return new AppError('bad_request', 'The request is not valid HTTP');
}

/** A whole HTTP/1.1 reply carrying the error in the one shape, for a socket no request object answers. */
export function rawErrorReply(e: AppError): string {
  const body = JSON.stringify(e.toJSON());
  const headers = { ...SECURITY_HEADERS, ...e.headers };
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return (
    `HTTP/1.1 ${e.status} ${http.STATUS_CODES[e.status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`
  );
}

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (malformed HTTP, slow clients, huge
 * headers) are answered in the same JSON error shape as everything else, then the connection is closed.
 */
export function createClientErrorHandler(onRejected: (code: ErrorCode) => void = () => {}) {
  return function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const e = toAppError(err);
    this.log.debug({ code: e.code, errCode: err.code }, 'client error');
    onRejected(e.code);
    if (socket.writable) socket.write(rawErrorReply(e));
    socket.destroy();
  };
}

/**
 * An Expect header other than 100-continue, which Node would answer with a bare 417 of its own: answered in the
 * same JSON error shape, and counted like the errors above.
 */
export function answerExpectationFailures(server: http.Server, onRejected: (code: ErrorCode) => void = () => {}): void {
  server.on('checkExpectation', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const e = new AppError('expectation_failed', `Expect: ${String(req.headers.expect)} is not supported; only 100-continue is`);
    onRejected(e.code);
    const body = JSON.stringify(e.toJSON());
    res.writeHead(e.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      connection: 'close',
      ...SECURITY_HEADERS,
    });
    res.end(body);
  });
}
