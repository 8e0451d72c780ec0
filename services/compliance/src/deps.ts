import type { CompanyCopyDeps } from './companies/service.js';
import type { ProductCopyDeps } from './products/service.js';
import type { VerdictDeps } from './verdicts/service.js';

/** What the service's event handlers use, decorated on the app by app.ts. */
export interface ComplianceDeps {
  companies: CompanyCopyDeps;
  products: ProductCopyDeps;
  verdicts: VerdictDeps;
}

declare module 'fastify' {
  interface FastifyInstance {
    compliance: ComplianceDeps;
  }
}
