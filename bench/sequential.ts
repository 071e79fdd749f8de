import { BENCH_KEY } from './processes.ts';

export interface SequentialResult {
  requests: number;
  p50: number;
  p99: number;
  /** The reply's count for list queries. */
  count?: number;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/**
 * One request at a time over a kept-alive connection, each timed on its own; any non-200 aborts the run. Up to 3
 * warm-up requests (1 when a request takes over a second); at least 3 timed requests even past the deadline.
 */
export async function sequentialLoad(base: string, path: (i: number) => string, requests: number, deadlineSeconds: number): Promise<SequentialResult> {
  const headers = { authorization: `Bearer ${BENCH_KEY}` };
  const times: number[] = [];
  let count: number | undefined;
  const stopAt = Date.now() + deadlineSeconds * 1000;
  for (let i = -3; i < requests && (Date.now() < stopAt || times.length < 3); i++) {
    const started = performance.now();
    const res = await fetch(base + path(Math.max(i, 0)), { headers });
    const text = await res.text();
    const ms = performance.now() - started;
    if (res.status !== 200) throw new Error(`${path(i)} answered ${res.status}: ${text.slice(0, 300)}`);
    if (i < 0) {
      if (ms > 1000) i = -1; // a slow query: one warm-up is enough, keep the deadline for timed requests
      continue;
    }
    times.push(ms);
    if (i === 0) count = (JSON.parse(text) as { count?: number }).count;
  }
  times.sort((a, b) => a - b);
  return { requests: times.length, p50: quantile(times, 0.5), p99: quantile(times, 0.99), count };
}
