import type { FastifyInstance, FastifyRequest } from 'fastify';
import { callerOrg } from '../http/api-scope.ts';
import type { SummaryService } from '../records/summary-service.ts';
import { parseListRequest } from './list-request.ts';

/** GET and POST /api/records/summary/: the list's param_a and filters, read exactly as the list reads them. */
export function registerSummaryRoutes(api: FastifyInstance, service: SummaryService): void {
  const summary = async (request: FastifyRequest) => {
    const { params, conditions } = parseListRequest(request);
    return service.summary(callerOrg(request), params.since, conditions);
  };
  api.get('/records/summary', { config: { scope: 'read' } }, summary);
  api.post('/records/summary', { config: { scope: 'read' } }, summary);
}
