import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/**
 * CORS is off unless origins are configured: then browsers on those origins may call the API with a
 * Bearer key (no cookies are involved, so credentials stay off).
 */
export async function registerCors(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  await app.register(cors, {
    origin: origins.includes('*') ? '*' : [...origins],
    methods: ['GET', 'POST'],
    allowedHeaders: ['authorization', 'content-type', 'x-request-id'],
    exposedHeaders: ['x-request-id', 'retry-after'],
    maxAge: 600,
  });
}
