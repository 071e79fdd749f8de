import type { FastifyInstance } from 'fastify';
import { Transform, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import { AppError } from '../errors.ts';
import { carriesBody } from './request-body.ts';

/** The Content-Encodings a body may be sent with, and the decoder of each (deflate is the zlib format, RFC 9110). */
const DECODERS: Readonly<Record<string, () => Transform>> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
};
const ACCEPTED = 'gzip, deflate or identity';

/**
 * The decoded body as a stream Fastify reads like the raw one. The body limit applies to the decoded bytes: the
 * chunk that would pass it fails the stream with 413 and decoding stops, so a zip bomb costs at most the limit
 * (plus one zlib chunk) of output. receivedEncodedLength is what Fastify compares with Content-Length.
 */
function decoded(raw: Readable, coding: string, decoder: Transform, limit: number): Readable {
  let size = 0;
  const body = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > limit) return done(new AppError('payload_too_large', `The decoded (${coding}) body is larger than the server accepts`));
      done(null, chunk);
    },
  }) as Transform & { receivedEncodedLength: number };
  body.receivedEncodedLength = 0;
  raw.on('data', (chunk: Buffer) => {
    body.receivedEncodedLength += chunk.length;
  });
  decoder.on('error', (err) =>
    body.destroy(new AppError('bad_request', `The body is not valid ${coding} (Content-Encoding: ${coding}): ${err.message}`)),
  );
  body.on('close', () => {
    raw.unpipe(decoder);
    decoder.destroy();
  });
  raw.pipe(decoder).pipe(body);
  return body;
}

/** Bodies sent with Content-Encoding gzip or deflate are decoded before parsing; any other coding is a 415. */
export function registerBodyDecoding(app: FastifyInstance, limit: number): void {
  app.addHook('preParsing', async (request, _reply, payload) => {
    const coding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (coding === 'identity' || coding === '' || !carriesBody(request.raw)) return payload;
    const decoder = DECODERS[coding];
    if (decoder === undefined)
      throw new AppError('unsupported_media_type', `Content-Encoding "${coding}" is not supported; send the body as ${ACCEPTED}`);
    return decoded(payload, coding, decoder(), limit);
  });
}
