/**
 * The e-mail tests send to the launcher's MailDev (a real SMTP server) and read the mail back
 * through its REST API: start it (or reuse it) before them, like the other servers.
 */
import { infraUp } from '@foodxchange/infra';

export default async function setup(): Promise<void> {
  const endpoints = await infraUp({ only: ['maildev'], log: () => undefined });
  process.env.SMTP_URL ??= endpoints.smtpUrl;
  process.env.MAILDEV_API_URL ??= 'http://127.0.0.1:1080';
}
