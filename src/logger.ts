import pino, { type Logger } from 'pino';

/**
 * A request as logged: the path without its query string, whose filter values may carry record content
 * (the parameter names are kept). Headers are never logged, so neither is the Authorization header.
 */
function requestForLog(req: { method?: string; url?: string; host?: string; ip?: string; socket?: { remotePort?: number } }) {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  const query = q < 0 ? undefined : [...new URLSearchParams(url.slice(q + 1)).keys()];
  return {
    method: req.method,
    url: q < 0 ? url : url.slice(0, q),
    query,
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

/** Pino JSON logs; credentials and record bodies are redacted wherever they could appear. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      serializers: { req: requestForLog },
      redact: {
        paths: ['req.headers.authorization', 'headers.authorization', 'authorization', 'apiKey', 'key', 'body', 'req.body'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
