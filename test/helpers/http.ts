import http from 'node:http';

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  body: any;
}

/** One HTTP request over a real socket to 127.0.0.1 (JSON body when given as a value, raw when a string), from localAddress when given. */
export function httpRequest(
  port: number,
  method: string,
  path: string,
  opts: { body?: unknown; headers?: Record<string, string>; agent?: http.Agent; timeoutMs?: number; localAddress?: string } = {},
): Promise<HttpResult> {
  const payload = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
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
        timeout: opts.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
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
