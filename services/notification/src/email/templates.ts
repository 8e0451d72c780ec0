import escapeHtml from 'escape-html';
import type { Announcement } from '../notifications/plan.js';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export interface TemplateContext {
  /** The recipient's name, when known. */
  name?: string;
  /** The platform's public address (links are made absolute with it). */
  publicUrl: string;
}

const footer = 'You receive this e-mail because of your FoodXchange notification preferences. Turn e-mail of this kind off in your settings (PATCH /api/v1/notifications/preferences).';

/**
 * The e-mail of one announcement: a plain-text part and an HTML part with the same content, every
 * value HTML-escaped. One layout for every type: greeting, what happened, a link to the resource.
 */
export function renderEmail(announcement: Announcement, context: TemplateContext): RenderedEmail {
  const url = new URL(announcement.link, context.publicUrl).toString();
  const greeting = context.name ? `Hello ${context.name},` : 'Hello,';
  const text = [greeting, '', announcement.body, '', `Open it: ${url}`, '', '--', footer, ''].join('\n');
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(announcement.title)}</title></head>
<body style="margin:0;padding:0;background:#f4f5f2;font-family:Helvetica,Arial,sans-serif;color:#1f2a1f">
  <table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f5f2;padding:24px 0">
    <tr><td align="center">
      <table role="presentation" width="560" cellpadding="0" cellspacing="0" style="background:#ffffff;border-radius:8px;padding:32px">
        <tr><td style="font-size:13px;color:#4d7c0f;font-weight:bold;letter-spacing:0.04em">FOODXCHANGE</td></tr>
        <tr><td><h1 style="font-size:20px;margin:12px 0 16px">${escapeHtml(announcement.title)}</h1></td></tr>
        <tr><td style="font-size:15px;line-height:1.5"><p style="margin:0 0 12px">${escapeHtml(greeting)}</p><p style="margin:0 0 20px">${escapeHtml(announcement.body)}</p></td></tr>
        <tr><td><a href="${escapeHtml(url)}" style="display:inline-block;background:#4d7c0f;color:#ffffff;text-decoration:none;padding:10px 18px;border-radius:6px;font-size:15px">Open in FoodXchange</a></td></tr>
        <tr><td style="font-size:12px;color:#6b7280;padding-top:28px">${escapeHtml(footer)}</td></tr>
      </table>
    </td></tr>
  </table>
</body>
</html>
`;
  return { subject: announcement.title, text, html };
}
