import type { Config } from '../config.ts';

/**
 * Connection limits that keep slow or idle clients from holding the server: the headers must arrive within
 * headersTimeoutMs and the whole request within requestTimeoutMs (both checked at least every second, Node's
 * default is every 30 s), and a connection silent for idleTimeoutMs is closed. A client trickling its headers
 * (slowloris) thus holds a connection for headersTimeoutMs at most.
 */
export function serverTimeouts(config: Readonly<Config>) {
  const checkEvery = Math.max(50, Math.min(1000, Math.floor(config.headersTimeoutMs / 2)));
  return {
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.idleTimeoutMs,
    http: {
      requestTimeout: config.requestTimeoutMs,
      headersTimeout: config.headersTimeoutMs,
      connectionsCheckingInterval: checkEvery,
      // Node answers a missing Host with a bare 400 of its own; app.ts answers it in the error shape instead.
      requireHostHeader: false,
    },
  };
}
