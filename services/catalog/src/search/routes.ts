import type { FastifyInstance } from 'fastify';
import { searchProducts } from './search.js';
import { SearchEnvelope, SearchQuerySchema, type SearchQuery } from './schemas.js';

export default async function searchRoutes(app: FastifyInstance) {
  app.get(
    '/products',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['products'],
        summary: 'Search live products of active suppliers',
        description:
          'Full text (`q`, optional `lang`) with stemming, accent folding, food synonyms and typo tolerance; filters; sort; ' +
          'offset paging up to 10,000 hits (`page`, `pageSize`) and `cursor` (pagination.nextCursor) beyond. ' +
          'The answer is the paged envelope plus `facets` (category, origin, certification, storage counts of the whole result).',
        querystring: SearchQuerySchema,
        response: { 200: SearchEnvelope },
      },
    },
    async (request) => {
      const result = await searchProducts(app.elastic, app.productSearch.alias, request.query as SearchQuery);
      return { ...result, metadata: { timestamp: '', requestId: '', version: 'v1' } };
    },
  );
}
