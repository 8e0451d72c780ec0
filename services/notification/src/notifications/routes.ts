import type { FastifyInstance, FastifyRequest } from 'fastify';
import { callerOf, ok, paged } from '@foodxchange/service-kit';
import type { NotificationModel } from './model.js';
import {
  EmptyBodySchema,
  NotificationEnvelope,
  NotificationListEnvelope,
  NotificationListQuerySchema,
  NotificationParamsSchema,
  ReadAllEnvelope,
  type NotificationListQuery,
} from './schemas.js';
import { listNotifications, markAllRead, markRead } from './service.js';

/** A user only ever sees and changes their own notifications (whatever their role). */
export default async function notificationRoutes(app: FastifyInstance, { notifications }: { notifications: NotificationModel }) {
  const access = { permission: 'notification:read' } as const;
  /** These POSTs take no body: none sent is an empty object, so the schema (no fields) decides the rest. */
  const noBody = async (request: FastifyRequest) => {
    if (request.body === undefined || request.body === null) request.body = {};
  };

  app.get(
    '/',
    {
      config: { access },
      schema: {
        tags: ['notifications'],
        summary: "The caller's notifications, newest first, with their unread count",
        querystring: NotificationListQuerySchema,
        response: { 200: NotificationListEnvelope },
      },
    },
    async (request) => {
      const query = request.query as NotificationListQuery;
      const { items, total, unreadCount } = await listNotifications(notifications, callerOf(request).userId, query);
      return { ...paged(items, { page: query.page, limit: query.limit, total }), unreadCount };
    },
  );

  app.post(
    '/read-all',
    {
      config: { access },
      preValidation: noBody,
      schema: {
        tags: ['notifications'],
        summary: "Marks all the caller's notifications read",
        body: EmptyBodySchema,
        response: { 200: ReadAllEnvelope },
      },
    },
    async (request) => ok(await markAllRead(notifications, callerOf(request).userId)),
  );

  app.post(
    '/:id/read',
    {
      config: { access },
      preValidation: noBody,
      schema: {
        tags: ['notifications'],
        summary: "Marks one of the caller's notifications read (another user's is 404)",
        params: NotificationParamsSchema,
        body: EmptyBodySchema,
        response: { 200: NotificationEnvelope },
      },
    },
    async (request) => ok(await markRead(notifications, callerOf(request).userId, (request.params as { id: string }).id)),
  );
}
