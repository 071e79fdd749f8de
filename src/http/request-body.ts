import type { IncomingMessage } from 'node:http';

/** Whether the request announces a body (a Content-Length other than 0, or a Transfer-Encoding). */
export function carriesBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
