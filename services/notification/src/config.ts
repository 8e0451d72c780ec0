import { Type } from '@sinclair/typebox';

/** The notification service's own settings, validated with the kit's base ones. */
export const notificationConfig = {
  SMTP_URL: Type.String({
    default: 'smtp://127.0.0.1:1025',
    description: 'Where e-mail is sent (nodemailer SMTP transport URL): the launcher starts MailDev there; smtps://user:pass@host:465 in production',
  }),
  MAIL_FROM: Type.String({ default: 'FoodXchange <no-reply@foodxchange.local>', description: 'The From of every e-mail' }),
  PUBLIC_URL: Type.String({ default: 'http://localhost:8080', description: "The platform's public address: e-mail links point there" }),
  NOTIFICATION_EMAIL_ENABLED: Type.Boolean({
    default: true,
    description: 'false: only in-app notifications (the e-mail consumers are not subscribed at all)',
  }),
  SMTP_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000, description: 'Connection, greeting and socket timeout of one SMTP delivery' }),
  SSE_HEARTBEAT_MS: Type.Integer({ minimum: 50, default: 15_000, description: 'How often GET /notifications/stream sends a comment line to keep the connection open' }),
  SSE_REPLAY_LIMIT: Type.Integer({ minimum: 1, maximum: 1000, default: 200, description: 'At most this many missed notifications are sent on a resume (Last-Event-ID)' }),
};

export interface NotificationSettings {
  SMTP_URL: string;
  MAIL_FROM: string;
  PUBLIC_URL: string;
  NOTIFICATION_EMAIL_ENABLED: boolean;
  SMTP_TIMEOUT_MS: number;
  SSE_HEARTBEAT_MS: number;
  SSE_REPLAY_LIMIT: number;
}
