import http from 'node:http';

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  body: any;
}

/** A reply longer than this is cut off and fails the request: no test reads one, and a runaway reply must not fill memory. */
const MAX_REPLY_BYTES = 64 * 1024 * 1024;

/**
 * One HTTP request over a real socket to 127.0.0.1 (JSON body when given as a value, raw when a string), from
 * localAddress when given. It fails
 * (the socket destroyed) when the whole exchange takes longer than timeoutMs (default 30 s), or the reply exceeds
 * 64 MiB.
 */
export function httpRequest(
  port: number,
  method: string,
  path: string,
  opts: { body?: unknown; headers?: Record<string, string>; agent?: http.Agent; timeoutMs?: number; localAddress?: string } = {},
): Promise<HttpResult> {
  const payload = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (err: Error | null, result?: HttpResult) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      if (err) reject(err);
      else resolve(result!);
    };
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: opts.agent ?? false,
        localAddress: opts.localAddress,
        headers: {
          ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          if (bytes > MAX_REPLY_BYTES) req.destroy(new Error(`${method} ${path}: reply over ${MAX_REPLY_BYTES} bytes`));
          else chunks.push(c);
        });
        res.on('error', (err) => finish(err));
        res.on('close', () => finish(new Error(`${method} ${path}: the reply was cut off`))); // after 'end', a no-op
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          finish(null, { status: res.statusCode ?? 0, headers: res.headers, text, body });
        });
      },
    );
    const deadline = setTimeout(() => {
      const err = new Error(`${method} ${path}: no whole reply within ${timeoutMs} ms`);
      req.destroy(err);
      finish(err);
    }, timeoutMs);
    req.on('error', (err) => finish(err));
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Asserts the one error shape {error: {code, message, details}}; returns the code. */
export function errorCodeOf(body: any): string {
  const e = body?.error;
  if (!e || typeof e.code !== 'string' || typeof e.message !== 'string' || !Array.isArray(e.details) || Object.keys(body).length !== 1) {
    throw new Error(`not the error shape: ${JSON.stringify(body).slice(0, 300)}`);
  }
  return e.code;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** promise, or a rejection naming what did not happen when ms pass first. The timer never keeps the process alive. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
