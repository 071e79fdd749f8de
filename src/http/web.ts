import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { fileURLToPath } from 'node:url';
import { registerVendorFiles } from './web-vendor.ts';

/** The explorer's files (plain HTML, CSS and ES modules; no build step). */
export const WEB_ROOT = fileURLToPath(new URL('../../web', import.meta.url));

/**
 * Record content shown by the explorer is untrusted, so the page allows only its own scripts and styles
 * (no inline code), cannot be framed, and leaks no URL (the filters in it) to other sites.
 */
const WEB_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

/** Serves web/ at "/" (index.html for "/"), with the security headers on every file. */
export async function registerWeb(app: FastifyInstance): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onSend', async (_request, reply, payload) => {
      reply.headers(WEB_SECURITY_HEADERS);
      return payload;
    });
    // wildcard: false routes exactly the files present at start, so unknown paths keep the JSON 404.
    await scope.register(fastifyStatic, { root: WEB_ROOT, prefix: '/', wildcard: false, decorateReply: false });
    registerVendorFiles(scope); // the charting library, from node_modules
  });
}
