import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';

/**
 * Browser libraries the explorer loads, served from their npm packages (never a CDN: the page's CSP allows
 * only its own origin). Each is read once at start; the route names carry the package version's file.
 */
const require = createRequire(import.meta.url);
const uplotDist = path.dirname(require.resolve('uplot')); // uplot/dist/, where its main file is

const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/vendor/uplot.esm.js': { file: path.join(uplotDist, 'uPlot.esm.js'), type: 'text/javascript; charset=utf-8' },
  '/vendor/uplot.min.css': { file: path.join(uplotDist, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

/** The vendored routes, for the test that lists every open route. */
export const VENDOR_ROUTES: readonly string[] = Object.keys(FILES);

/** Registers GET for each vendored file in the given scope (which adds the explorer's security headers). */
export function registerVendorFiles(scope: FastifyInstance): void {
  for (const [url, { file, type }] of Object.entries(FILES)) {
    const body = fs.readFileSync(file);
    scope.get(url, async (_request, reply) => reply.type(type).header('cache-control', 'public, max-age=3600').send(body));
  }
}
