import type { FastifyInstance, FastifyRequest } from 'fastify';
import { callerOrg } from '../http/api-scope.ts';
import { analyticsInput, parseAnalyticsParams } from '../query/analytics-params.ts';
import type { AnalyticsService } from '../records/analytics-service.ts';
import { nowMicros } from '../time.ts';

/** GET and POST /api/records/analytics/ (docs/analytics.md): query parameters, or a JSON body whose keys win. */
export function registerAnalyticsRoutes(api: FastifyInstance, service: AnalyticsService): void {
  const analytics = async (request: FastifyRequest) => {
    const input = analyticsInput(request.query as Record<string, unknown>, request.body, request.method === 'POST');
    return service.analytics(callerOrg(request), parseAnalyticsParams(input, nowMicros()));
  };
  api.get('/records/analytics', { config: { scope: 'read' } }, analytics);
  api.post('/records/analytics', { config: { scope: 'read' } }, analytics);
}
