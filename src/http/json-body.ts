import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { AppError } from '../errors.ts';

/**
 * Bodies are JSON. They are parsed here so that every failure (syntax, nesting too deep for the parser, bytes
 * that are not UTF-8) is a 400 invalid_json, and "__proto__" keys stay plain data (JSON.parse never touches
 * prototypes). A body sent with another or no content type (curl -d sends form encoding) is still accepted
 * when it is valid JSON; otherwise it is a 415 that says what to send.
 */
export function registerJsonParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body: Buffer, done) => {
    // The body's bytes are gone once parsed; a request that may be repeated keeps their digest (bodyDigest).
    if (req.headers['idempotency-key'] !== undefined) digests.set(req, createHash('sha256').update(body).digest('hex'));
    // JSON is UTF-8: bytes that are not would be replaced by U+FFFD, storing something other than what was sent.
    if (!isUtf8(body)) return done(new AppError('invalid_json', 'The body is not valid UTF-8'), undefined);
    const text = body.toString('utf8');
    const declaredJson = /^application\/(?:[\w.+-]*\+)?json\b/i.test(req.headers['content-type'] ?? '');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      if (!declaredJson)
        return done(new AppError('unsupported_media_type', 'Send the body as JSON with Content-Type: application/json'), undefined);
      const detail = err instanceof SyntaxError ? err.message : 'the JSON nests too deeply';
      done(new AppError('invalid_json', `The body is not valid JSON: ${detail}`), undefined);
    }
  });
}

const digests = new WeakMap<FastifyRequest, string>();

/** SHA-256 of the raw body, hex, for requests that carry an Idempotency-Key (of the empty body when there was none). */
export function bodyDigest(request: FastifyRequest): string {
  return digests.get(request) ?? createHash('sha256').digest('hex');
}
