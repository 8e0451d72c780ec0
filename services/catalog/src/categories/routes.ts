import type { FastifyInstance } from 'fastify';
import { ok } from '@foodxchange/service-kit';
import { CategoryTreeEnvelope } from './schemas.js';
import { CATEGORY_TREE } from './taxonomy.js';

export default async function categoryRoutes(app: FastifyInstance) {
  app.get(
    '/categories',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['categories'],
        summary: 'The food taxonomy: top-level groups and the leaves products are filed under',
        description: 'Two levels. A product\'s `category` is a leaf slug (`<group>.<leaf>`); search filters accept a group or a leaf.',
        response: { 200: CategoryTreeEnvelope },
      },
    },
    async (_request, reply) => {
      // The tree is data compiled into this version of the service: clients may keep it a while.
      void reply.header('cache-control', 'private, max-age=3600');
      return ok(CATEGORY_TREE);
    },
  );
}
