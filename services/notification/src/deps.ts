import type { EmailDeps } from './email/service.js';
import type { MemberDeps } from './members/service.js';
import type { NotificationDeps } from './notifications/service.js';
import type { PreferencesDeps } from './preferences/service.js';
import type { LiveHub } from './stream/hub.js';

/** What the service's event handlers use, decorated on the app by app.ts. */
export interface NotificationServiceDeps {
  members: MemberDeps;
  notifications: NotificationDeps;
  preferences: PreferencesDeps;
  /** The live streams' fan-out through Redis. */
  live: LiveHub;
  /** Absent when e-mail is turned off (NOTIFICATION_EMAIL_ENABLED=false). */
  email?: EmailDeps;
}

declare module 'fastify' {
  interface FastifyInstance {
    notification: NotificationServiceDeps;
  }
}
