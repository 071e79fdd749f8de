import http from 'node:http';
import { httpRequest, type HttpResult } from './http.ts';

/** A varied, valid create body unique to (client, n): structure, unicode, metadata, usage, timing. */
export function variedRecord(client: number, n: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const tag = `c${client}-n${n}`;
  return {
    field_3: n % 5 === 0 ? 'type_e' : 'type_a',
    field_4: n % 2 === 0 ? 'gpt-4o-mini' : 'unknown-model',
    field_1: n % 3 === 0 ? [{ role: 'user', content: `hello ${tag} 🌍 naïve ✓` }] : `prompt ${tag} ${'x'.repeat(n % 200)}`,
    field_2: n % 3 === 0 ? { role: 'assistant', content: `answer ${tag}` } : `answer ${tag}`,
    field_5: { sub_field_a: 10 + (n % 50), sub_field_b: 5 + (n % 20) },
    field_7: 0.5 + (n % 10) / 10,
    field_8: 0.1,
    field_9: { client, n, tag, nested: { ok: n % 2 === 0, list: [1, 'two', null] } },
    field_10: `customer-${client}`,
    field_11: `thread-${client}`,
    field_13: `trace-${tag}`,
    field_18: n % 7 === 0 ? 500 : 200,
    ...extra,
  };
}

export interface LoadResult {
  acked: Map<string, any>; // id -> response body
  statuses: Map<number, number>;
  errors: number;
}

/**
 * `clients` loops, each on its own keep-alive connection, sending creates until stop() is called. Records every 2xx
 * body by id. Each loop also ends by itself, so that a test that fails before stop() leaves nothing running: after
 * maxMs (default 60 s), and once maxFailuresInARow requests in a row (default 50, 20 ms apart) got no reply at all
 * (the server is gone; a restart takes longer than that only if it is broken).
 */
export function createLoad(
  port: number,
  opts: {
    clients: number;
    key: string;
    async?: boolean;
    onResult?: (r: HttpResult) => void;
    body?: (client: number, n: number) => unknown;
    maxMs?: number;
    maxFailuresInARow?: number;
  },
) {
  const result: LoadResult = { acked: new Map(), statuses: new Map(), errors: 0 };
  const endAt = Date.now() + (opts.maxMs ?? 60_000);
  const maxFailures = opts.maxFailuresInARow ?? 50;
  let stopped = false;
  const agents: http.Agent[] = [];
  const loops = Array.from({ length: opts.clients }, async (_, client) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    let failures = 0;
    for (let n = 0; !stopped && failures < maxFailures && Date.now() < endAt; n++) {
      const body = opts.body ? opts.body(client, n) : variedRecord(client, n, opts.async ? { field_21: { option_a: false } } : {});
      try {
        const res = await httpRequest(port, 'POST', '/api/records/create/', {
          body,
          agent,
          headers: { authorization: `Bearer ${opts.key}` },
        });
        failures = 0;
        result.statuses.set(res.status, (result.statuses.get(res.status) ?? 0) + 1);
        if (res.status === 201 || res.status === 202) result.acked.set(res.body.id, res.body);
        opts.onResult?.(res);
      } catch {
        result.errors++;
        failures++;
        if (!stopped) await new Promise((r) => setTimeout(r, 20)); // the server is gone or restarting
      }
    }
  });
  return {
    result,
    acks: () => result.acked.size,
    /** Stops the loops after their current request (each bounded by httpRequest's timeout), and waits for them. */
    async stop(): Promise<LoadResult> {
      stopped = true;
      const ended = await Promise.allSettled(loops); // every loop, even when one failed (its onResult threw)
      for (const a of agents) a.destroy();
      for (const e of ended) if (e.status === 'rejected') throw e.reason;
      return result;
    },
  };
}

/** Waits until cond() is true or ms pass. */
export async function waitFor(cond: () => boolean, ms: number, every = 20): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, every));
  }
  return cond();
}
