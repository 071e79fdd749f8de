import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseListParams } from '../query/list-params.ts';
import type { SummaryService } from '../records/summary-service.ts';
import { listInput, type Authenticate } from './records.ts';

/** GET and POST /api/records/summary/: the list's param_a and filters, read exactly as the list reads them. */
export function registerSummaryRoutes(app: FastifyInstance, service: SummaryService, authenticate: Authenticate): void {
  const summary = async (request: FastifyRequest) => {
    const orgId = await authenticate(request.headers.authorization);
    const { query, filters } = listInput(request);
    return service.summary(orgId, parseListParams(query), filters);
  };
  app.get('/api/records/summary', summary);
  app.post('/api/records/summary', summary);
}
