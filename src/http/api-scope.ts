import type { FastifyInstance, FastifyRequest } from 'fastify';
import { carriesBody } from './request-body.ts';

/** Resolves an Authorization header to the caller's org, or throws (401, or 429 from the rate limiter). */
export type Authenticate = (authorization: string | undefined) => Promise<string>;

const callers = new WeakMap<FastifyRequest, string>();

/** The org of the caller, which the /api scope's hook has authenticated before any handler runs. */
export function callerOrg(request: FastifyRequest): string {
  const org = callers.get(request);
  // Only a route registered outside an authenticated scope can get here: a wiring mistake, never a client's.
  if (org === undefined) throw new Error(`${request.method} ${request.routeOptions.url} is not in an authenticated scope (/api, /v1)`);
  return org;
}

/**
 * A scope whose first hook authenticates every route in it: a new route cannot forget it, and what a route's own
 * hooks take (the batch gate) is taken only for a known caller. A refused request that carries a body is answered
 * at once with `Connection: close`, so the body is never read and the socket is closed instead of being kept for
 * an upload nobody asked for.
 */
async function registerAuthenticated(
  app: FastifyInstance,
  prefix: string,
  authenticate: Authenticate,
  routes: (scope: FastifyInstance) => void,
): Promise<void> {
  await app.register(
    async (scope) => {
      scope.addHook('onRequest', async (request, reply) => {
        try {
          callers.set(request, await authenticate(request.headers.authorization));
        } catch (err) {
          if (carriesBody(request.raw)) reply.header('connection', 'close');
          throw err;
        }
      });
      routes(scope);
    },
    { prefix },
  );
}

/** Every /api route lives in this one authenticated scope. */
export function registerApi(app: FastifyInstance, authenticate: Authenticate, routes: (api: FastifyInstance) => void): Promise<void> {
  return registerAuthenticated(app, '/api', authenticate, routes);
}

/**
 * The OTLP/HTTP routes (/v1/traces) live in a scope of their own, authenticated by the same hook: OTLP fixes their
 * paths, and their bodies and errors are OTLP's (protobuf or OTLP/JSON, google.rpc.Status), which the routes declare
 * for the scope (routes/otlp.ts: its body parser and error handler).
 */
export function registerOtlpScope(app: FastifyInstance, authenticate: Authenticate, routes: (v1: FastifyInstance) => void): Promise<void> {
  return registerAuthenticated(app, '/v1', authenticate, routes);
}
