import type { FastifyRequest } from 'fastify';

/** A Host header that is a host name or an IP literal, with an optional port: nothing else goes into a link. */
const PLAIN_HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** Where page links point: the Host the client used, or, without a usable one, the address it connected to. */
function origin(request: FastifyRequest): string {
  const host = request.host;
  if (typeof host === 'string' && PLAIN_HOST.test(host)) return `${request.protocol}://${host}`;
  const { localAddress = '127.0.0.1', localPort } = request.socket;
  const address = localAddress.includes(':') ? `[${localAddress}]` : localAddress;
  return `${request.protocol}://${address}${localPort ? `:${localPort}` : ''}`;
}

/**
 * Absolute URL of this list request with another page number, or null. The path and query are set on the
 * origin, never resolved against it, so a path such as //other/... cannot move the link to another host.
 */
export function pageUrl(request: FastifyRequest, page: number | null): string | null {
  if (page === null) return null;
  const url = new URL(origin(request));
  const q = request.url.indexOf('?');
  url.pathname = q < 0 ? request.url : request.url.slice(0, q);
  url.search = q < 0 ? '' : request.url.slice(q);
  url.searchParams.set('param_b', String(page));
  return url.toString();
}
