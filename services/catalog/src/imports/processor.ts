import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';
import { fieldErrors } from '@foodxchange/service-kit';
import { ProductInputSchema, type ProductInput } from '../products/schemas.js';
import { upsertProductsBySku } from '../products/service.js';
import type { FieldProblems } from './rows.js';
import type { ImportProcessor } from './worker.js';

/** The import's path to the products: their body schema and their batch upsert by sku. */
export function productImportProcessor(app: FastifyInstance): ImportProcessor {
  // The kit's own compiler, as for POST /products: the same defaults, formats and messages.
  // Compiled at the first row (the compiler is the app's once it is ready).
  let validateBody: ReturnType<FastifySchemaCompiler<unknown>> | undefined;
  return {
    validate(input): FieldProblems | undefined {
      validateBody ??= app.validatorCompiler!({ schema: ProductInputSchema, method: 'POST', url: '/api/v1/products/imports', httpPart: 'body' });
      if (validateBody(input) === true) return undefined;
      const errors = (validateBody as unknown as { errors?: Parameters<typeof fieldErrors>[1] }).errors ?? [];
      // 'body.priceTiers.1.minQuantity' → 'priceTiers.1.minQuantity'; 'body' (the row itself) → ''.
      const problems: FieldProblems = {};
      for (const [path, messages] of Object.entries(fieldErrors('body', errors))) problems[path.replace(/^body\.?/, '')] = messages;
      return Object.keys(problems).length > 0 ? problems : { '': ['is not a valid product'] };
    },
    upsert: (supplierCompanyId, rows, actor, context) => upsertProductsBySku(app.productDeps, supplierCompanyId, rows as ProductInput[], actor, context),
  };
}
