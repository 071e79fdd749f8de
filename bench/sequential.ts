import http from 'node:http';
import { BENCH_KEY } from './processes.ts';

export interface SequentialResult {
  requests: number;
  p50: number;
  p99: number;
  /** The reply's count for list queries. */
  count?: number;
  /** The first (warm-up) request's time: a list's count taken in full, before the store remembers it. */
  first: number;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/**
 * One GET over a kept-alive connection, with node:http: the body is collected as bytes, not decoded, unless asked
 * for. (Until 2026-11-29 this was fetch, whose own work (undici, decoding and copying the text) added 0.4 ms to a
 * /healthz p50 and 2-5 ms to a 340 KB list page on this machine: the client's cost, not the server's.)
 */
function get(agent: http.Agent, url: string, decode: boolean): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { authorization: `Bearer ${BENCH_KEY}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: decode || res.statusCode !== 200 ? Buffer.concat(chunks).toString('utf8') : '' }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/**
 * One request at a time over a kept-alive connection, each timed on its own; any non-200 aborts the run. Up to 3
 * warm-up requests (1 when a request takes over a second); at least 3 timed requests even past the deadline.
 */
export async function sequentialLoad(
  base: string,
  path: (i: number) => string,
  requests: number,
  deadlineSeconds: number,
): Promise<SequentialResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  let count: number | undefined;
  let first = NaN;
  const stopAt = Date.now() + deadlineSeconds * 1000;
  try {
    for (let i = -3; i < requests && (Date.now() < stopAt || times.length < 3); i++) {
      const started = performance.now();
      const res = await get(agent, base + path(Math.max(i, 0)), i === 0);
      const ms = performance.now() - started;
      if (Number.isNaN(first)) first = ms;
      if (res.status !== 200) throw new Error(`${path(i)} answered ${res.status}: ${res.text.slice(0, 300)}`);
      if (i < 0) {
        if (ms > 1000) i = -1; // a slow query: one warm-up is enough, keep the deadline for timed requests
        continue;
      }
      times.push(ms);
      if (i === 0) count = (JSON.parse(res.text) as { count?: number }).count;
    }
  } finally {
    agent.destroy();
  }
  times.sort((a, b) => a - b);
  return { requests: times.length, p50: quantile(times, 0.5), p99: quantile(times, 0.99), count, first };
}
