import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { createAuthenticator } from './auth/authenticator.ts';
import type { Config } from './config.ts';
import { AppError } from './errors.ts';
import { errorHandler } from './http/error-handler.ts';
import { registerJsonParser } from './http/json-body.ts';
import { openApiDocument } from './http/openapi.ts';
import { registerWeb } from './http/web.ts';
import { createRecordsService } from './records/service.ts';
import { createSummaryService } from './records/summary-service.ts';
import { registerMetaRoutes } from './routes/meta.ts';
import { registerRecordRoutes } from './routes/records.ts';
import { registerSummaryRoutes } from './routes/summary.ts';
import type { Store } from './store/types.ts';
import { createWriteQueue, type WriteQueue } from './store/write-queue.ts';

export interface AppDeps {
  store: Store;
  logger: Logger;
}

export interface TallyApp {
  http: FastifyInstance;
  queue: WriteQueue;
  /** Stops accepting, commits everything accepted, closes the store. */
  close(): Promise<void>;
}

const VERSION = '0.1.0';

/** Builds the HTTP app on a store; never listens (server.ts does). */
export async function createApp(config: Readonly<Config>, deps: AppDeps): Promise<TallyApp> {
  const http = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 500 },
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
  });
  http.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  registerJsonParser(http);
  http.setErrorHandler(errorHandler);
  http.setNotFoundHandler((request, reply) => {
    const e = new AppError('not_found', `No route ${request.method} ${request.url.split('?')[0]}`);
    reply.code(e.status).send(e.toJSON());
  });

  const queue = createWriteQueue(deps.store, { maxPending: config.writeQueueMax, log: deps.logger });
  const service = createRecordsService(deps.store, queue);
  const authenticate = createAuthenticator(deps.store);
  registerRecordRoutes(http, service, authenticate);
  registerSummaryRoutes(http, createSummaryService(deps.store), authenticate);
  registerMetaRoutes(http, authenticate);
  await registerWeb(http);

  const document = openApiDocument(VERSION);
  await http.register(swagger, { mode: 'static', specification: { document: document as never } });
  await http.register(swaggerUi, { routePrefix: '/docs' });
  http.get('/openapi.json', async () => document);
  http.get('/healthz', async () => ({ status: 'ok' }));
  http.get('/readyz', async (_request, reply) => {
    try {
      await deps.store.ping();
      return { status: 'ready' };
    } catch {
      return reply.code(503).send(new AppError('store_unavailable', 'The store is not reachable').toJSON());
    }
  });
  await http.ready();

  return {
    http,
    queue,
    async close() {
      await http.close();
      await queue.drain();
      await deps.store.close();
    },
  };
}
