import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { VersionedCache } from '../cache/versioned-cache.js';
import { productModel } from './model.js';
import type { ProductView } from './schemas.js';
import type { ProductDeps } from './service.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** What the product functions of products/service.ts take (the import and search parts use it too). */
    productDeps: ProductDeps;
    /** GET /products/:id's two-level cache (L1 in process, L2 Redis). */
    productCache: VersionedCache<ProductView>;
  }
}

interface CacheSettings {
  PRODUCT_CACHE_L1_MAX: number;
  PRODUCT_CACHE_L1_TTL_MS: number;
  PRODUCT_CACHE_REDIS_TTL_SECONDS: number;
  PRODUCT_CACHE_REDIS_PREFIX: string;
}

async function productsPlugin(app: FastifyInstance) {
  const settings = app.config as unknown as CacheSettings;
  const products = productModel(app.mongo);
  // Products carry their product.* events in their own documents.
  app.events.registerOutbox(products);
  const cache = new VersionedCache<ProductView>({
    redis: app.redis,
    prefix: settings.PRODUCT_CACHE_REDIS_PREFIX,
    l1Max: settings.PRODUCT_CACHE_L1_MAX,
    l1TtlMs: settings.PRODUCT_CACHE_L1_TTL_MS,
    redisTtlSeconds: settings.PRODUCT_CACHE_REDIS_TTL_SECONDS,
    log: app.log,
  });
  app.decorate('productCache', cache);
  app.decorate('productDeps', {
    products,
    companies: app.companyCopies.deps.companies,
    locks: app.locks,
    cache,
    published: () => app.events.published(),
  } satisfies ProductDeps);
}

export default fp(productsPlugin, {
  name: 'catalog-products',
  fastify: '5.x',
  dependencies: ['foodxchange-mongo', 'foodxchange-redis', 'foodxchange-kafka', 'catalog-companies'],
});
