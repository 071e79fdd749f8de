import type { FastifyInstance, FastifyReply } from 'fastify';

/** Headers every response carries, whatever produced it. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
});

/**
 * Adds the security headers on every response. A page that set its own Content-Security-Policy keeps it;
 * anything else gets one that forbids framing, and non-HTML (JSON) also loading anything at all.
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    setSecurityHeaders(reply);
    return payload;
  });
}

/** The headers themselves; also for replies sent outside the hooks (errors the router raises before routing). */
export function setSecurityHeaders(reply: FastifyReply): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
  if (!reply.hasHeader('content-security-policy')) {
    const html = String(reply.getHeader('content-type') ?? '').startsWith('text/html');
    reply.header('content-security-policy', html ? "frame-ancestors 'none'" : "default-src 'none'; frame-ancestors 'none'");
  }
}
