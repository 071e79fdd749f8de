import pino, { type Logger } from 'pino';

/** Pino JSON logs; credentials and record bodies are redacted wherever they could appear. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: {
        paths: ['req.headers.authorization', 'headers.authorization', 'authorization', 'apiKey', 'key', 'body', 'req.body'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
