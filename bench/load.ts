import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  method?: 'GET' | 'POST';
  body?: string | Buffer;
  /** A new body for every request (built into that request at once, so it may reuse one Buffer). */
  nextBody?: () => Buffer;
  contentType?: string;
  key?: string;
  connections: number;
  seconds: number;
  /** A request count that ends the run before the time is up. */
  amount?: number;
  /** Ends the run before the time is up when it settles. */
  until?: Promise<unknown>;
}

export interface LoadResult {
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  non2xx: number;
}

/** How long the connections may wait for their requests in flight once `until` has settled. */
const DRAIN_MS = 35_000;

/** Runs autocannon against a loopback URL for a bounded time (and optionally a bounded number of requests). */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  if (!/^http:\/\/127\.0\.0\.1:/.test(spec.url)) throw new Error(`load only to 127.0.0.1, not ${spec.url}`);
  const headers: Record<string, string> = { 'content-type': spec.contentType ?? 'application/json' };
  if (spec.key) headers.authorization = `Bearer ${spec.key}`;
  const started = Date.now();
  const instance = autocannon({
    url: spec.url,
    method: spec.method ?? 'GET',
    body: spec.body,
    headers,
    connections: spec.connections,
    duration: spec.seconds,
    amount: spec.amount,
    timeout: 30,
    ...(spec.nextBody ? { requests: [{ setupRequest: (req: object) => ({ ...req, body: spec.nextBody?.() }) }] } : {}),
  });
  // Without a callback autocannon answers its instance, which is also a promise of the result. When `until` settles,
  // no connection sends another request, but each waits for the answer to the one it has in flight (autocannon's
  // stop() would drop those: their creates stored, yet not counted); a connection whose answer does not come within
  // DRAIN_MS (longer than a request's timeout) is dropped by stop().
  const running = instance as unknown as autocannon.Instance;
  let draining: NodeJS.Timeout | null = null;
  void spec.until?.then(() => {
    running.on('response', (client: unknown) => {
      const c = client as { reqsMade: number; responseMax?: number };
      c.responseMax = c.reqsMade; // answered: it sends no more, and autocannon ends once every connection has
    });
    draining = setTimeout(() => running.stop(), DRAIN_MS);
  });
  const result = await instance;
  if (draining) clearTimeout(draining);
  const elapsed = (Date.now() - started) / 1000;
  const ok = result['2xx'];
  return {
    requests: ok,
    perSecond: ok / Math.max(spec.amount ? elapsed : result.duration, 0.001),
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}
