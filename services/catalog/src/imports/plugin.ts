import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { importModels, type ImportModels } from './model.js';
import { productImportProcessor } from './processor.js';
import importRoutes from './routes.js';
import { ImportWorker } from './worker.js';
import { PRODUCT_LANGUAGES } from '../products/schemas.js';

export interface ProductImports {
  models: ImportModels;
  worker: ImportWorker;
}

declare module 'fastify' {
  interface FastifyInstance {
    productImports: ProductImports;
  }
}

/**
 * Bulk product imports: `POST/GET /api/v1/products/imports[/:id]` and the background worker
 * that runs the jobs (started once the app is ready, stopped, after the chunk in progress, when
 * it closes).
 */
async function importsPlugin(app: FastifyInstance) {
  const { config } = app;
  const models = importModels(app.mongo);
  const worker = new ImportWorker(
    {
      models,
      processor: productImportProcessor(app),
      log: app.log.child({ feature: 'imports' }),
      context: (correlationId) => app.events.context(undefined, correlationId),
      published: () => app.events.published(),
    },
    {
      pollMs: config.IMPORT_POLL_MS as number,
      leaseMs: config.IMPORT_LEASE_MS as number,
      maxReportedErrors: config.IMPORT_MAX_REPORTED_ERRORS as number,
      retentionMs: (config.IMPORT_RETENTION_DAYS as number) * 86_400_000,
    },
    app.mongo,
  );
  app.decorate('productImports', { models, worker } satisfies ProductImports);
  // After the kit's onReady (indexes built, consumers running): registered later, runs later.
  app.addHook('onReady', async () => {
    worker.start();
  });
  // Before the kit's onClose hooks close the database (onClose runs in reverse order).
  app.addHook('onClose', async () => {
    await worker.stop();
  });

  await app.register(importRoutes, {
    prefix: '/api/v1',
    models,
    worker,
    maxBytes: config.IMPORT_MAX_BYTES as number,
    chunkRows: config.IMPORT_CHUNK_ROWS as number,
    limits: {
      maxRows: config.IMPORT_MAX_ROWS as number,
      maxRowBytes: config.IMPORT_MAX_ROW_BYTES as number,
      languages: PRODUCT_LANGUAGES,
    },
  });
}

export default fp(importsPlugin, { name: 'catalog-imports', fastify: '5.x', dependencies: ['foodxchange-mongo'] });
