import { createRequire } from 'node:module';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { createAuthenticator } from './auth/authenticator.ts';
import type { Config } from './config.ts';
import { AppError } from './errors.ts';
import { createConcurrencyGate } from './http/concurrency-gate.ts';
import { capConnections } from './http/connection-caps.ts';
import { registerAccessLog } from './http/access-log.ts';
import { registerBodyDecoding } from './http/body-encoding.ts';
import { registerApi, registerOtlpScope } from './http/api-scope.ts';
import { answerExpectationFailures, createClientErrorHandler } from './http/client-errors.ts';
import { registerCors } from './http/cors.ts';
import { createErrorHandler } from './http/error-handler.ts';
import { registerJsonParser } from './http/json-body.ts';
import { createMetrics, registerMetrics, type Metrics } from './http/metrics.ts';
import { openApiDocument } from './http/openapi.ts';
import { registerWeb } from './http/web.ts';
import { createRateLimiter } from './auth/rate-limit.ts';
import { registerSecurityHeaders, setSecurityHeaders } from './http/security-headers.ts';
import { serverTimeouts } from './http/server-options.ts';
import { startIdempotencyPurge } from './records/idempotency-purge.ts';
import { startRetention, type Retention } from './records/retention.ts';
import { createRecordsService } from './records/service.ts';
import { PRICE_CATALOGUE } from './records/price-catalogue.ts';
import { startPriceBook } from './records/price-book.ts';
import { createAnalyticsService } from './records/analytics-service.ts';
import { createSummaryService } from './records/summary-service.ts';
import { createOtlpIngest } from './otlp/ingest.ts';
import { registerKeyRoutes } from './routes/keys.ts';
import { registerLifecycleRoutes } from './routes/lifecycle.ts';
import { registerMetaRoutes } from './routes/meta.ts';
import { registerOtlpRoutes } from './routes/otlp.ts';
import { registerPriceRoutes } from './routes/prices.ts';
import { registerRecordRoutes } from './routes/records.ts';
import { registerAnalyticsRoutes } from './routes/analytics.ts';
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
  metrics: Metrics;
  /** Every route served, as "METHOD /url" (HEAD included): what the route test checks for authentication. */
  routes: readonly string[];
  /** The deletion of expired records (docs/lifecycle.md): on timers, and on demand. */
  retention: Retention;
  /** Stops accepting, commits everything accepted, closes the store. */
  close(): Promise<void>;
}

/** The version package.json gives (one place for it). */
const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/** Builds the HTTP app on a store; never listens (server.ts does). */
export async function createApp(config: Readonly<Config>, deps: AppDeps): Promise<TallyApp> {
  // The queue is made below; its gauges read it only when /metrics is scraped.
  const metrics = createMetrics({ queueDepth: () => queue.depth(), queueBytes: () => queue.bytes() });
  let closing = false;
  const errorHandler = createErrorHandler(metrics.rejected);
  const http = Fastify({
    ...serverTimeouts(config),
    // Requests that arrive on open connections while closing are still served (and then the connection
    // closes): Fastify's own 503 for them would bypass the error shape, and drain() commits them anyway.
    return503OnClosing: false,
    clientErrorHandler: createClientErrorHandler(metrics.rejected),
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    // An id of any length reaches the route (and its auth, then a 404), instead of the router's own 414.
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 65_536 },
    // A URL the router cannot decode (bad percent-encoding) is answered in the error shape too; no hook runs for it.
    frameworkErrors: (error, request, reply) => {
      setSecurityHeaders(reply);
      reply.header('x-request-id', request.id);
      void errorHandler(error, request, reply);
    },
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    logController: new LogController({ disableRequestLogging: true }), // one line per request instead, below (access-log.ts)
  });
  const routes: string[] = [];
  http.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push(`${method} ${route.url}`);
  });
  registerAccessLog(http);
  http.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (request.headers.host === undefined && request.raw.httpVersion === '1.1') {
      throw new AppError('bad_request', 'An HTTP/1.1 request needs a Host header');
    }
  });
  answerExpectationFailures(http.server, metrics.rejected);
  capConnections(http.server, { total: config.maxConnections, perAddress: config.maxConnectionsPerIp }, metrics.rejected);
  registerSecurityHeaders(http);
  await registerCors(http, config.corsOrigins);
  registerJsonParser(http);
  registerBodyDecoding(http, config.bodyLimitBytes);
  http.setErrorHandler(errorHandler);
  http.setNotFoundHandler(async (request) => {
    throw new AppError('not_found', `No route ${request.method} ${request.url.split('?')[0]}`);
  });
  registerMetrics(http, metrics);

  const queue = createWriteQueue(deps.store, {
    maxPending: config.writeQueueMax,
    maxBytes: config.writeQueueMaxBytes,
    maxFlights: deps.store.writeFlights,
    log: deps.logger,
    onCommit: metrics.committed,
    onDeadLetter: metrics.deadLettered,
  });
  const prices = await startPriceBook(deps.store, deps.logger); // custom prices (docs/derived-fields.md#custom-prices)
  const service = createRecordsService(deps.store, queue, { onBatchCommit: metrics.committed, prices });
  const stopPurge = startIdempotencyPurge(deps.store, deps.logger);
  const retention = startRetention(deps.store, config.retentionDays, deps.logger);
  const limiter =
    config.rateLimitPerSecond > 0 ? createRateLimiter({ perSecond: config.rateLimitPerSecond, burst: config.rateLimitBurst }) : null;
  // Everything under /api and /v1 is authenticated by its scope's one hook, and each route declares the key scope it
  // needs; the routes below them stay open on purpose.
  const authenticate = createAuthenticator(deps.store, { limiter });
  const batchGate = createConcurrencyGate(config.batchConcurrency); // batches and OTLP requests, which hold many records at once
  await registerApi(http, authenticate, (api) => {
    registerRecordRoutes(api, service, batchGate);
    registerSummaryRoutes(api, createSummaryService(deps.store));
    registerAnalyticsRoutes(api, createAnalyticsService(deps.store));
    registerMetaRoutes(api);
    registerKeyRoutes(api, deps.store);
    registerLifecycleRoutes(api, deps.store, metrics.exportPage);
    registerPriceRoutes(api, deps.store, prices);
  });
  await registerOtlpScope(http, authenticate, (v1) => {
    const held = {
      store: deps.store,
      bounds: {
        perOrgEvents: config.otlpHeldEventsPerOrg,
        perOrgBytes: config.otlpHeldBytesPerOrg,
        events: config.otlpHeldEvents,
        bytes: config.otlpHeldBytes,
        maxAgeMs: config.otlpHeldSeconds * 1000,
      },
    };
    const ingest = createOtlpIngest(service, held, {
      onSpans: metrics.otlpSpans,
      onLogRecords: metrics.otlpLogRecords,
      onHeldEvents: metrics.otlpHeldEvents,
    });
    registerOtlpRoutes(v1, ingest, batchGate, metrics.rejected);
  });
  await registerWeb(http);

  const document = openApiDocument(VERSION);
  await http.register(swagger, { mode: 'static', specification: { document: document as never } });
  await http.register(swaggerUi, { routePrefix: '/docs' });
  http.get('/openapi.json', async () => document);
  http.get('/healthz', async () => ({ status: 'ok', details: { price_catalogue: PRICE_CATALOGUE } }));
  http.get('/readyz', async () => {
    if (closing) throw new AppError('shutting_down', 'The server is shutting down');
    try {
      await deps.store.ping();
    } catch {
      throw new AppError('store_unavailable', 'The store is not reachable');
    }
    // The store may answer a ping and still fail every commit (a full disk): not ready until commits succeed again.
    if (!queue.healthy()) throw new AppError('store_unavailable', 'The store is failing to commit writes; they are being retried');
    return { status: 'ready' };
  });
  await http.ready();

  return {
    http,
    queue,
    metrics,
    routes,
    retention,
    async close() {
      closing = true;
      stopPurge();
      prices.stop();
      await retention.stop();
      await http.close();
      await queue.drain();
      await deps.store.close();
    },
  };
}
