import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import type { TracerProvider } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { OpenAI } from 'openai';
import { startTestApp, type TestApp } from './app.ts';
import { startFakeOpenAI } from './fake-openai.ts';
import { within } from './http.ts';
import { listen } from './listen.ts';
import type { StoreKind } from './stores.ts';

/**
 * What the instrumentation tests share: a listening Tally on a store of `kind` and a fake OpenAI upstream, started
 * before the enclosing describe's tests and closed after them (call it inside the describe); an OpenAI client for the
 * upstream; a tracer provider per service that exports to Tally's /v1/traces; and the records of one service.
 */
export function instrumentedTally(kind: StoreKind, OpenAIClass: typeof OpenAI) {
  let app: TestApp | undefined;
  let port = 0;
  let upstream: Awaited<ReturnType<typeof startFakeOpenAI>> | undefined;
  before(async () => {
    app = await startTestApp(kind);
    port = await listen(app);
    upstream = await startFakeOpenAI();
  });
  after(async () => {
    await upstream?.close();
    await app?.close();
  });
  const started = () => {
    if (!app || !upstream) throw new Error('instrumentedTally: used before its before() hook ran');
    return { t: app, upstream };
  };
  return {
    get t(): TestApp {
      return started().t;
    },
    get port(): number {
      return port;
    },
    /** An OpenAI client calling the fake upstream, without retries. */
    client: () => new OpenAIClass({ apiKey: 'sk-test', baseURL: `http://127.0.0.1:${started().upstream.port}/v1`, maxRetries: 0 }),
    /** A tracer provider for one service, exporting to Tally; the instrumentation uses it from now on. */
    tracerProvider(service: string, instrumentation: { setTracerProvider(provider: TracerProvider): void }, scheduledDelayMillis?: number) {
      const tracing = new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': service }),
        spanProcessors: [
          new BatchSpanProcessor(
            new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces`, headers: { authorization: `Bearer ${started().t.key}` } }),
            scheduledDelayMillis === undefined ? {} : { scheduledDelayMillis },
          ),
        ],
      });
      instrumentation.setTracerProvider(tracing);
      return tracing;
    },
    /** The service's records (field_14 is the service name), asserting how many there are. */
    async recordsOf(service: string, count: number): Promise<any[]> {
      const res = await started().t.request('POST', '/api/records/list/', { filters: { field_14: { operator: '', value: [service] } } });
      assert.equal(res.body.count, count, JSON.stringify(res.body));
      return res.body.results as any[];
    },
    /** Exports what the provider holds, then shuts it down. */
    async flushed(tracing: BasicTracerProvider) {
      await within(tracing.forceFlush(), 30_000, 'the spans to be exported');
      await tracing.shutdown();
    },
  };
}
