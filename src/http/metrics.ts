import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ErrorCode } from '../errors.ts';
import { PRICE_CATALOGUE } from '../records/price-catalogue.ts';

export interface Metrics {
  readonly registry: Registry;
  /**
   * After a commit: its records, how long the transaction took, and how many it inserted (tally_records_stored_total
   * counts these: a record the store held already is not stored again).
   */
  committed(records: number, seconds: number, inserted: number): void;
  /** A request answered with a coded error. */
  rejected(code: ErrorCode): void;
  /** Accepted records the store refused: set aside in dead_letters, or dropped when even that failed. */
  deadLettered(outcome: 'stored' | 'dropped', records: number): void;
  /** OTLP spans by what became of them: accepted (committed as records, a span sent again included), rejected, ignored. */
  otlpSpans(outcome: 'accepted' | 'rejected' | 'ignored', spans: number): void;
  /** OTLP log records: accepted (a GenAI event taken, joined or held), rejected, ignored (not a GenAI event of a span, or no content). */
  otlpLogRecords(outcome: 'accepted' | 'rejected' | 'ignored', records: number): void;
  /** Held GenAI events: joined into their record, late (its side was filled already), dropped past the bounds, expired. */
  otlpHeldEvents(outcome: 'joined' | 'late' | 'dropped' | 'expired', events: number): void;
  /** An export read one page of records from the store. */
  exportPage(records: number): void;
}

/** Prometheus metrics of one app, in a registry of its own (several apps may share a process in tests). */
export function createMetrics(source: { queueDepth: () => number; queueBytes: () => number }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'tally_price_catalogue_info',
    help: 'The bundled price catalogue (@pydantic/genai-prices): its version and the day it was published; always 1',
    labelNames: ['library', 'version', 'released'],
    registers: [registry],
  }).set({ library: PRICE_CATALOGUE.library, version: PRICE_CATALOGUE.version, released: PRICE_CATALOGUE.released ?? 'unknown' }, 1);
  const recordsStored = new Counter({
    name: 'tally_records_stored_total',
    help: 'Records inserted into the store (a record it held already, as an OTLP span sent again, is not counted again)',
    registers: [registry],
  });
  const commitSeconds = new Histogram({
    name: 'tally_write_commit_seconds',
    help: 'Duration of one group commit (one transaction and its fsync)',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const batchRecords = new Histogram({
    name: 'tally_write_batch_records',
    help: 'Records per group commit',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [registry],
  });
  const deadLetters = new Counter({
    name: 'tally_dead_letters_total',
    help: 'Accepted (202) records the store refused to insert: stored in dead_letters, or dropped when that failed too',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const rejections = new Counter({
    name: 'tally_rejections_total',
    help: 'Requests answered with an error, by error code',
    labelNames: ['code'],
    registers: [registry],
  });
  const otlpSpans = new Counter({
    name: 'tally_otlp_spans_total',
    help: 'OTLP spans received, by outcome: accepted (stored as records, resends included), rejected (partial_success), ignored (not an LLM span)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const otlpLogRecords = new Counter({
    name: 'tally_otlp_log_records_total',
    help: 'OTLP log records received, by outcome: accepted (a GenAI event joined or held), rejected (partial_success), ignored (not a GenAI event of a span, or no content)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const otlpHeldEvents = new Counter({
    name: 'tally_otlp_held_events_total',
    help: "GenAI events from /v1/logs, by what became of them: joined (into their span's record), late (the record had that side already), dropped (past the bounds, oldest first), expired",
    labelNames: ['outcome'],
    registers: [registry],
  });
  const exportPages = new Counter({
    name: 'tally_export_pages_total',
    help: 'Pages of records read from the store by exports (each read only once the client has taken the one before)',
    registers: [registry],
  });
  const exportRecords = new Counter({ name: 'tally_export_records_total', help: 'Records read by exports', registers: [registry] });
  new Gauge({
    name: 'tally_write_queue_depth',
    help: 'Records accepted and not yet committed',
    registers: [registry],
    collect() {
      this.set(source.queueDepth());
    },
  });
  new Gauge({
    name: 'tally_write_queue_bytes',
    help: 'Estimated memory held by records waiting for a commit',
    registers: [registry],
    collect() {
      this.set(source.queueBytes());
    },
  });
  return {
    registry,
    committed(records, seconds, inserted) {
      recordsStored.inc(inserted);
      commitSeconds.observe(seconds);
      batchRecords.observe(records);
    },
    rejected(code) {
      rejections.inc({ code });
    },
    deadLettered(outcome, records) {
      deadLetters.inc({ outcome }, records);
    },
    otlpSpans(outcome, spans) {
      otlpSpans.inc({ outcome }, spans);
    },
    otlpLogRecords(outcome, records) {
      otlpLogRecords.inc({ outcome }, records);
    },
    otlpHeldEvents(outcome, events) {
      otlpHeldEvents.inc({ outcome }, events);
    },
    exportPage(records) {
      exportPages.inc();
      exportRecords.inc(records);
    },
  };
}

/** Counts and times every request by its route pattern (never the raw URL), and serves GET /metrics. */
export function registerMetrics(app: FastifyInstance, metrics: Metrics): void {
  const requests = new Counter({
    name: 'tally_http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    registers: [metrics.registry],
  });
  const duration = new Histogram({
    name: 'tally_http_request_duration_seconds',
    help: 'HTTP request duration by method and route pattern',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [metrics.registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? '(unmatched)';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}
