import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { AuthorizationError, callerOf, ok, paged, type Identity } from '@foodxchange/service-kit';
import { isAdminRole } from '@foodxchange/contracts';
import {
  DeletedEnvelope,
  OwnProductListEnvelope,
  OwnProductsQuerySchema,
  ProductEnvelope,
  ProductInputSchema,
  ProductParamsSchema,
  ProductPatchSchema,
  type OwnProductsQuery,
  type ProductInput,
  type ProductPatch,
  type ProductView,
} from './schemas.js';
import { createProduct, deleteProduct, getProduct, listOwnProducts, updateProduct, type ProductDeps, type ProductEditor } from './service.js';

/** A product's ETag: its id and version (strong: the representation changes with every version). */
export const productEtag = (product: Pick<ProductView, 'id' | 'version'>) => `"${product.id}-v${product.version}"`;

/** Whether If-None-Match names the current ETag (a list, weak forms and `*` included). */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

const editorOf = (identity: Identity): ProductEditor => ({
  userId: identity.userId,
  ...(identity.companyId ? { companyId: identity.companyId } : {}),
  admin: isAdminRole(identity.role),
});

const IfNoneMatchHeaders = Type.Object({
  'if-none-match': Type.Optional(Type.String({ maxLength: 1000, description: 'An ETag from an earlier read: 304 when the product has not changed' })),
});

const id = (request: FastifyRequest) => (request.params as { id: string }).id;

export default async function productRoutes(app: FastifyInstance, { deps }: { deps: ProductDeps }) {
  app.post(
    '/products',
    {
      config: { access: { permission: 'product:create' } },
      schema: {
        tags: ['products'],
        summary: "List a product for the caller's supplier company",
        description:
          'The company comes from the token. 400 with field errors for bad input (including certifications the company does not hold with a certificate valid today); 409 when the company already has a live product with this sku.',
        body: ProductInputSchema,
        response: { 201: ProductEnvelope },
      },
    },
    async (request, reply) => {
      const identity = callerOf(request);
      // Products belong to a supplier company: a token without one (platform admins) cannot list.
      if (!identity.companyId) throw new AuthorizationError('List products as a member of a supplier company');
      const product = await createProduct(deps, identity.companyId, request.body as ProductInput, { userId: identity.userId }, app.events.context(request));
      void reply.code(201).header('etag', productEtag(product)).header('location', `/api/v1/products/${product.id}`);
      return ok(product);
    },
  );

  // A static route: find-my-way prefers it to /products/:id, so `mine` is never taken for an id.
  app.get(
    '/products/mine',
    {
      config: { access: { permission: 'product:create' } },
      schema: {
        tags: ['products'],
        summary: "The caller's supplier company's own products, newest first (for managing them)",
        description:
          "Read from the database, not the search index: every product of the company that is not deleted, whether or not search shows it yet. Suppliers' members only (a token without a company, such as a platform admin's, or without product:create answers 403). Optional q matches name or sku (case-insensitive, taken literally).",
        querystring: OwnProductsQuerySchema,
        response: { 200: OwnProductListEnvelope },
      },
    },
    async (request) => {
      const identity = callerOf(request);
      if (!identity.companyId) throw new AuthorizationError('List your products as a member of a supplier company');
      const query = request.query as OwnProductsQuery;
      const { items, total } = await listOwnProducts(deps, identity.companyId, query);
      return paged(items, { page: query.page, limit: query.limit, total });
    },
  );

  app.get(
    '/products/:id',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['products'],
        summary: 'A live product (cached; ETag / If-None-Match → 304)',
        params: ProductParamsSchema,
        headers: IfNoneMatchHeaders,
        response: { 200: ProductEnvelope, 304: Type.Null({ description: 'Not modified since the ETag sent' }) },
      },
    },
    async (request, reply: FastifyReply) => {
      const product = await getProduct(deps, id(request));
      const etag = productEtag(product);
      void reply.header('etag', etag).header('cache-control', 'private, no-cache');
      if (matchesIfNoneMatch(request.headers['if-none-match'], etag)) return reply.code(304).send();
      return ok(product);
    },
  );

  app.patch(
    '/products/:id',
    {
      config: { access: { permission: 'product:update' } },
      schema: {
        tags: ['products'],
        summary: 'Change some fields of one of your products',
        description:
          "Only the owning supplier's members (and platform admins). Another company's product answers 404, as an unknown id does, so ids of others' products are not confirmed. The result is checked as a whole.",
        params: ProductParamsSchema,
        body: ProductPatchSchema,
        response: { 200: ProductEnvelope },
      },
    },
    async (request, reply) => {
      const product = await updateProduct(deps, id(request), request.body as ProductPatch, editorOf(callerOf(request)), app.events.context(request));
      void reply.header('etag', productEtag(product));
      return ok(product);
    },
  );

  app.delete(
    '/products/:id',
    {
      config: { access: { permission: 'product:delete' } },
      schema: {
        tags: ['products'],
        summary: 'Delete one of your products (its sku becomes free again)',
        description: "Owner's members and platform admins; another company's product answers 404.",
        params: ProductParamsSchema,
        response: { 200: DeletedEnvelope },
      },
    },
    async (request) => {
      await deleteProduct(deps, id(request), editorOf(callerOf(request)), app.events.context(request));
      return ok({ id: id(request), deleted: true as const });
    },
  );
}
