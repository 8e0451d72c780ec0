import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AuthorizationError, callerOf, ok, paged, type Identity } from '@foodxchange/service-kit';
import { PurchaseBodySchema, purchaseHeadersSchema, type PurchaseBody } from '../purchases/schemas.js';
import { placePurchase } from '../purchases/service.js';
import {
  OrderEnvelope,
  OrderListEnvelope,
  OrderListQuerySchema,
  OrderParamsSchema,
  StatusChangeBodySchema,
  type OrderListQuery,
  type StatusChangeBody,
} from './schemas.js';
import { changeStatus, getOrder, listOrders, toOrderView, type Actor, type OrderDeps } from './service.js';

const actorOf = (identity: Identity): Actor => ({
  userId: identity.userId,
  role: identity.role,
  ...(identity.companyId ? { companyId: identity.companyId } : {}),
});

const id = (request: FastifyRequest) => (request.params as { id: string }).id;

export default async function orderRoutes(app: FastifyInstance, { deps }: { deps: OrderDeps }) {
  const retentionHours = deps.idempotencyRetentionMs / 3_600_000;
  app.post(
    '/orders',
    {
      config: { access: { permission: 'order:create' } },
      schema: {
        tags: ['orders'],
        summary: 'Buy from the catalogue (Idempotency-Key required)',
        description:
          'Prices and the applicable price tier come from the catalogue, never from the request. 201 with the new order; ' +
          '200 with the same order when the key was already used with the same body; 409 when it was used with another body; ' +
          '400 without a key, for a quantity below the MOQ, and for an unknown, deleted or inactive product (with the field). ' +
          `A key is kept ${retentionHours} hours from its first use; after that it is new again (a new order).`,
        headers: purchaseHeadersSchema(retentionHours),
        body: PurchaseBodySchema,
        response: { 200: OrderEnvelope, 201: OrderEnvelope },
      },
    },
    async (request, reply) => {
      const actor = actorOf(callerOf(request));
      // The order is the buying company's: a token without one (platform admins) cannot buy.
      if (!actor.companyId) throw new AuthorizationError('Order as a member of a buyer company');
      const key = request.headers['idempotency-key'] as string;
      const { order, created } = await placePurchase(
        deps,
        { ...actor, companyId: actor.companyId },
        key,
        request.body as PurchaseBody,
        app.events.context(request),
      );
      void reply.code(created ? 201 : 200).header('location', `/api/v1/orders/${order._id}`);
      if (!created) void reply.header('idempotent-replayed', 'true');
      return ok(toOrderView(order));
    },
  );

  app.get(
    '/orders',
    {
      config: { access: { permission: 'order:read' } },
      schema: {
        tags: ['orders'],
        summary: "Orders of the caller's company (admins: all), newest first",
        description:
          'buyerCompanyId and supplierCompanyId are platform admins\' filters: anyone else using them is refused (403), ' +
          "their list is their own company's orders and no filter widens it.",
        querystring: OrderListQuerySchema,
        response: { 200: OrderListEnvelope },
      },
    },
    async (request) => {
      const query = request.query as OrderListQuery;
      const { items, total } = await listOrders(deps, query, actorOf(callerOf(request)));
      return paged(items, { page: query.page, limit: query.limit, total });
    },
  );

  app.get(
    '/orders/:id',
    {
      config: { access: { permission: 'order:read' } },
      schema: {
        tags: ['orders'],
        summary: 'One order with its status history and compliance outcome',
        description: "Another company's order answers 404, as an unknown id does.",
        params: OrderParamsSchema,
        response: { 200: OrderEnvelope },
      },
    },
    async (request) => ok(await getOrder(deps, id(request), actorOf(callerOf(request)))),
  );

  app.post(
    '/orders/:id/status',
    {
      config: { access: { permission: 'order:update' } },
      schema: {
        tags: ['orders'],
        summary: 'Move an order on: supplier ships, buyer takes delivery, either cancels',
        description:
          'confirmed → shipped (the supplier), shipped → delivered (the buyer), pending_compliance | confirmed → cancelled (either). ' +
          'Only the compliance check confirms or rejects (403 here). 409 for a transition the status machine does not allow from the current status.',
        params: OrderParamsSchema,
        body: StatusChangeBodySchema,
        response: { 200: OrderEnvelope },
      },
    },
    async (request) =>
      ok(await changeStatus(deps, id(request), request.body as StatusChangeBody, actorOf(callerOf(request)), app.events.context(request))),
  );
}
