import Fastify from 'fastify';

/**
 * A second floor: the same reply as bench/floor-server.ts from a bare Fastify route (Fastify's own JSON body
 * parser, no logging, no hooks). Between the node:http floor and Tally it shows what the framework itself
 * costs, so the rest of the gap is Tally's own work (auth, validation, derivation, the write, logging).
 */
const app = Fastify({ logger: false });
app.get('/healthz', async () => ({ status: 'ok' }));
app.post('/api/records/create/', async (request, reply) =>
  reply.code(201).send({ ok: true, keys: Object.keys(request.body as object).length }),
);
await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
