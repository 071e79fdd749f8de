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
    if (socket.writable) {
      const body = JSON.stringify(e.toJSON());
      const extra = Object.entries(SECURITY_HEADERS).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      socket.write(
        `HTTP/1.1 ${e.status} ${http.STATUS_CODES[e.status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}
