import type { FastifyInstance, FastifyRequest } from 'fastify';
import { allows, isScope, SCOPE_LIST } from '../auth/scopes.ts';
import { AppError } from '../errors.ts';
import type { KeyGrant, Scope } from '../store/types.ts';
import { carriesBody } from './request-body.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope an API key needs to call the route (docs/keys.md); every route of the /api scope declares one. */
    scope?: Scope;
  }
}

/** Resolves an Authorization header to the caller's key (org and scope), or throws (401, or 429 from the rate limiter). */
export type Authenticate = (authorization: string | undefined) => Promise<KeyGrant>;

const callers = new WeakMap<FastifyRequest, KeyGrant>();

/** The caller's key, which its scope's hook (/api or /v1) has authenticated before any handler runs. */
export function callerKey(request: FastifyRequest): KeyGrant {
  const key = callers.get(request);
  // Only a route registered outside an authenticated scope can get here: a wiring mistake, never a client's.
  if (key === undefined) throw new Error(`${request.method} ${request.routeOptions.url} is not in an authenticated scope (/api, /v1)`);
  return key;
}

/** The org of the caller. */
export function callerOrg(request: FastifyRequest): string {
  return callerKey(request).orgId;
}

/**
 * A scope whose first hook authenticates and then checks the key's scope against the one the route declares (`config: { scope }`): a new route cannot forget either, and one that declares no
 * scope fails the app's start. What a route's own hooks take (the batch gate) is taken only for a caller allowed
 * to call it. A refused request that carries a body is answered at once with `Connection: close`, so the body is
 * never read and the socket is closed instead of being kept for an upload nobody asked for.
 */
async function registerAuthenticated(
  app: FastifyInstance,
  prefix: string,
  authenticate: Authenticate,
  routes: (scope: FastifyInstance) => void,
): Promise<void> {
  await app.register(
    async (scope) => {
      scope.addHook('onRoute', (route) => {
        if (!isScope(route.config?.scope)) {
          throw new Error(`${[route.method].flat().join(',')} ${route.url} declares no scope: give it config: { scope: ${SCOPE_LIST} }`);
        }
      });
      scope.addHook('onRequest', async (request, reply) => {
        try {
          const key = await authenticate(request.headers.authorization);
          const needs = request.routeOptions.config.scope!;
          if (!allows(key.scope, needs)) {
            throw new AppError(
              'forbidden',
              `${request.method} ${request.routeOptions.url} needs an API key with the "${needs}" scope${needs === 'admin' ? '' : ' (or "admin")'}; this key's scope is "${key.scope}"`,
            );
          }
          callers.set(request, key);
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
