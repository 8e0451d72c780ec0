import { createTransport, type Transporter } from 'nodemailer';
import type { NotificationSettings } from '../config.js';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  headers?: Record<string, string>;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
  close(): void;
}

/**
 * nodemailer over SMTP (SMTP_URL), one pooled transport per process. A failed delivery throws
 * (connection refused, timeouts, 4xx/5xx answers): the e-mail consumer's retries with backoff and
 * then its dead letter take over.
 */
export function smtpMailer(settings: Pick<NotificationSettings, 'SMTP_URL' | 'MAIL_FROM' | 'SMTP_TIMEOUT_MS'>): Mailer {
  const transport: Transporter = createTransport(
    {
      url: settings.SMTP_URL,
      pool: true,
      maxConnections: 2,
      connectionTimeout: settings.SMTP_TIMEOUT_MS,
      greetingTimeout: settings.SMTP_TIMEOUT_MS,
      socketTimeout: settings.SMTP_TIMEOUT_MS,
    },
    { from: settings.MAIL_FROM },
  );
  return {
    async send(mail) {
      const info = await transport.sendMail(mail);
      return { messageId: String(info.messageId) };
    },
    close: () => transport.close(),
  };
}
