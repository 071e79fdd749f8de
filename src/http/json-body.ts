import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.ts';

/**
 * JSON bodies are parsed here so that every failure (syntax, nesting too deep for the parser) is a 400
 * invalid_json, and "__proto__" keys stay plain data: JSON.parse never touches prototypes.
 */
export function registerJsonParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers(); // JSON only: anything else is a clear 415
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body: string | Buffer, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      const detail = err instanceof SyntaxError ? err.message : 'the JSON nests too deeply';
      done(new AppError('invalid_json', `The body is not valid JSON: ${detail}`), undefined);
    }
  });
}
