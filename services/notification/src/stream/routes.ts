import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { IdSchema } from '@foodxchange/contracts';
import { callerOf } from '@foodxchange/service-kit';
import type { NotificationDoc, NotificationModel } from '../notifications/model.js';
import type { NotificationView } from '../notifications/schemas.js';
import { toNotificationView } from '../notifications/service.js';
import type { LiveHub } from './hub.js';

export interface StreamOptions {
  notifications: NotificationModel;
  hub: LiveHub;
  heartbeatMs: number;
  replayLimit: number;
}

const StreamHeadersSchema = Type.Object({
  'last-event-id': Type.Optional({ ...IdSchema, description: 'The id of the last notification received: those after it are sent first (resume)' }),
});

/** The notifications after the one a client saw last, oldest first (the stream's order: createdAt, then id). */
async function missedSince(notifications: NotificationModel, userId: string, lastEventId: string, limit: number): Promise<NotificationView[]> {
  const cursor = await notifications.findOne({ _id: lastEventId, userId }).select({ createdAt: 1 }).lean<Pick<NotificationDoc, '_id' | 'createdAt'>>();
  // Unknown (or another user's) id: nothing to resume from; the stream goes on live.
  if (!cursor) return [];
  const docs = await notifications
    .find({ userId, createdAt: { $gte: cursor.createdAt } })
    .select({ outbox: 0, outboxStagedAt: 0, outboxBucket: 0 })
    .sort({ createdAt: 1, _id: 1 })
    .limit(limit + 100)
    .lean<NotificationDoc[]>();
  const after = docs.filter((doc) => doc.createdAt.getTime() > cursor.createdAt.getTime() || doc._id > cursor._id);
  return after.slice(0, limit).map(toNotificationView);
}

const frame = (notification: NotificationView) => `id: ${notification.id}\nevent: notification\ndata: ${JSON.stringify(notification)}\n\n`;

/**
 * `GET /notifications/stream`: Server-Sent Events of the caller's new notifications. On connect
 * with `Last-Event-ID`, the ones created after it come first (from the database), then live ones
 * (from any replica, through Redis); a comment line every `heartbeatMs` keeps proxies from
 * closing an idle stream. Subscribed before the replay, and de-duplicated by id, so nothing
 * created while resuming is lost or sent twice.
 */
export default async function streamRoutes(app: FastifyInstance, { notifications, hub, heartbeatMs, replayLimit }: StreamOptions) {
  app.get(
    '/stream',
    {
      config: { access: { permission: 'notification:read' } },
      schema: {
        tags: ['notifications'],
        summary: "Server-Sent Events of the caller's new notifications (event: notification, id: the notification id)",
        description:
          'text/event-stream. Each message is `event: notification`, `id: <notification id>`, `data: <the notification as GET /notifications lists it>`. ' +
          `A comment line is sent every ${Math.round(heartbeatMs / 1000)} s. Reconnect with the Last-Event-ID header (EventSource does) to receive what was created meanwhile (up to ${replayLimit}).`,
        querystring: Type.Object({}, { additionalProperties: false }),
        headers: StreamHeadersSchema,
        response: { 200: Type.String({ description: 'text/event-stream' }) },
      },
    },
    async (request, reply) => {
      const userId = callerOf(request).userId;
      const lastEventId = request.headers['last-event-id'] as string | undefined;
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      });
      res.write(`retry: 3000\n: connected\n\n`);

      const sent = new Set<string>();
      const send = (notification: NotificationView) => {
        if (sent.has(notification.id) || res.writableEnded) return;
        sent.add(notification.id);
        res.write(frame(notification));
      };
      let pending: NotificationView[] | undefined = [];
      const unlisten = hub.listen(userId, (notification) => (pending ? pending.push(notification) : send(notification)));
      const heartbeat = setInterval(() => res.write(`: heartbeat ${new Date().toISOString()}\n\n`), heartbeatMs);
      heartbeat.unref();
      const untrack = app.streams.track(res);
      res.once('close', () => {
        clearInterval(heartbeat);
        unlisten();
        untrack();
      });

      try {
        if (lastEventId) for (const notification of await missedSince(notifications, userId, lastEventId, replayLimit)) send(notification);
      } catch (error) {
        request.log.warn({ err: error }, 'notification stream: resume failed');
      }
      const queued = pending;
      pending = undefined;
      for (const notification of queued) send(notification);
    },
  );
}
