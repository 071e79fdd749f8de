import type { FastifyInstance } from 'fastify';

/**
 * One log line per request, when its response is done, carrying the request id (the request's child logger).
 * Fastify's own request logging writes two lines per request; the second one's cost shows at ingest rates
 * (docs/performance.md).
 */
export function registerAccessLog(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    request.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  });
}
