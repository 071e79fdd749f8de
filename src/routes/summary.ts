import type { FastifyInstance, FastifyRequest } from 'fastify';
import { callerOrg } from '../http/api-scope.ts';
import { parseListParams } from '../query/list-params.ts';
import type { SummaryService } from '../records/summary-service.ts';
import { listInput } from './records.ts';

/** GET and POST /api/records/summary/: the list's param_a and filters, read exactly as the list reads them. */
export function registerSummaryRoutes(api: FastifyInstance, service: SummaryService): void {
  const summary = async (request: FastifyRequest) => {
    const { query, filters } = listInput(request);
    return service.summary(callerOrg(request), parseListParams(query), filters);
  };
  api.get('/records/summary', summary);
  api.post('/records/summary', summary);
}
