import type { FastifyInstance } from 'fastify';
import { fieldCatalogue } from '../fields/catalogue.ts';
import type { Authenticate } from './records.ts';

/** GET /api/meta/fields: the filterable and sortable fields and the operators, from the registry. */
export function registerMetaRoutes(app: FastifyInstance, authenticate: Authenticate): void {
  const catalogue = fieldCatalogue();
  app.get('/api/meta/fields', async (request) => {
    await authenticate(request.headers.authorization);
    return catalogue;
  });
}
