import { waitFor } from '@foodxchange/service-kit/testing';

/** A message as MailDev's REST API lists it (`GET /api/email`). */
export interface CaughtMail {
  id: string;
  subject: string;
  text?: string;
  html?: string;
  from: { address: string; name: string }[];
  to: { address: string; name: string }[];
  headers: Record<string, string>;
}

const api = () => process.env.MAILDEV_API_URL ?? 'http://127.0.0.1:1080';

/** Every message MailDev holds for this address. */
export async function mailsTo(address: string): Promise<CaughtMail[]> {
  const response = await fetch(`${api()}/api/email`);
  if (!response.ok) throw new Error(`MailDev answered ${response.status}`);
  const all = (await response.json()) as CaughtMail[];
  return all.filter((mail) => mail.to.some((to) => to.address.toLowerCase() === address.toLowerCase()));
}

/** Waits until MailDev holds `count` messages for the address and returns them. */
export async function waitForMails(address: string, count = 1): Promise<CaughtMail[]> {
  return waitFor(async () => {
    const mails = await mailsTo(address);
    return mails.length >= count ? mails : undefined;
  }, { what: `${count} mail(s) to ${address}` });
}
