import type { FastifyInstance } from 'fastify';
import { fieldCatalogue } from '../records/catalogue.ts';

/** GET /api/meta/fields: the filterable and sortable fields and the operators, from the registry. */
export function registerMetaRoutes(api: FastifyInstance): void {
  const catalogue = fieldCatalogue();
  api.get('/meta/fields', { config: { scope: 'read' } }, async () => catalogue);
}
