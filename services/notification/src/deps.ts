import type { MemberDeps } from './members/service.js';
import type { NotificationDeps } from './notifications/service.js';

/** What the service's event handlers use, decorated on the app by app.ts. */
export interface NotificationServiceDeps {
  members: MemberDeps;
  notifications: NotificationDeps;
}

declare module 'fastify' {
  interface FastifyInstance {
    notification: NotificationServiceDeps;
  }
}
