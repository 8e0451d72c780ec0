import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { TOPICS } from '@foodxchange/contracts';
import { bearer, dropDatabase, readTopicFromNow, startTestIssuer, waitFor, type ReadRecord, type TestIssuer } from '@foodxchange/service-kit/testing';
import { NOTIFICATION_TYPES } from '../src/notifications/plan.js';
import { notificationIdOf } from '../src/notifications/recipients.js';
import { contractEvent, day, deliver, id, newUser, registered, startNotification, type TestUser } from './fixtures.js';
import { mailsTo, waitForMails } from './maildev.js';

let server: FastifyInstance;
let issuer: TestIssuer;
let sent: { records: ReadRecord[]; stop: () => Promise<void> };

const B = id('buyer-co');
const b1 = newUser('buyer', B, 'mail-b1');
const b2 = newUser('buyer', B, 'mail-b2');
const tokenOf = (user: TestUser) => bearer(issuer.token({ sub: user.userId, role: user.role, companyId: user.companyId }));

const registration = (user: TestUser) => contractEvent(TOPICS.userRegistered, user.userId, registered(user));
const register = (app: FastifyInstance, user: TestUser) =>
  deliver(app, registration(user), ['user.registered.members', 'user.registered.in-app', 'user.registered.email']);

beforeAll(async () => {
  issuer = await startTestIssuer();
  sent = await readTopicFromNow(TOPICS.notificationSent);
  server = await startNotification({ ...issuer.env, PUBLIC_URL: 'https://foodxchange.example' });
  await register(server, b1);
  await register(server, b2);
});
afterAll(async () => {
  await sent?.stop();
  await dropDatabase(server);
  await server?.close();
  await issuer?.close();
});

describe('e-mail', () => {
  it('lands in the SMTP server with a text and an HTML part, and publishes notification.sent (email)', async () => {
    const [mail] = await waitForMails(b1.email);
    const notificationId = notificationIdOf((await server.notification.notifications.notifications.findOne({ userId: b1.userId, type: 'welcome' }).lean())!.eventId, b1.userId);
    expect(mail).toMatchObject({ subject: 'Welcome to FoodXchange' });
    expect(mail!.from[0]!.address).toBe('no-reply@foodxchange.local');
    expect(mail!.headers['x-foodxchange-notification']).toBe(notificationId);
    expect(mail!.text).toContain(`Hello ${b1.name},`);
    expect(mail!.text).toContain('https://foodxchange.example/api/v1/users/me');
    expect(mail!.html).toContain('<h1');
    expect(mail!.html).toContain('href="https://foodxchange.example/api/v1/users/me"');
    // Exactly one e-mail per recipient, and one in-app notification beside it.
    expect(await mailsTo(b1.email)).toHaveLength(1);

    const record = await waitFor(
      () => sent.records.find((r) => r.value && JSON.parse(r.value).data.notificationId === notificationId && JSON.parse(r.value).data.channel === 'email'),
      { what: 'notification.sent (email)' },
    );
    expect(JSON.parse(record.value!).data).toMatchObject({ userId: b1.userId, companyId: B, template: 'welcome', triggeredBy: { topic: 'user.registered' } });
    await waitFor(
      () => sent.records.find((r) => r.value && JSON.parse(r.value).data.notificationId === notificationId && JSON.parse(r.value).data.channel === 'in_app'),
      { what: 'notification.sent (in_app)' },
    );
  });

  it('escapes what users wrote in the HTML part', async () => {
    const user = { ...newUser('buyer', id('buyer-co'), 'mail-esc'), name: 'Eve <script>alert(1)</script>' };
    await register(server, user);
    const [mail] = await waitForMails(user.email);
    expect(mail!.html).not.toContain('<script>');
    expect(mail!.html).toContain('Eve &lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('respects per-user preferences: e-mail off for a type keeps the in-app notification only', async () => {
    const defaults = await server.inject({ url: '/api/v1/notifications/preferences', headers: tokenOf(b1) });
    expect(defaults.statusCode).toBe(200);
    expect(defaults.json().data.email).toEqual(Object.fromEntries(NOTIFICATION_TYPES.map((type) => [type, true])));

    const patched = await server.inject({
      method: 'PATCH',
      url: '/api/v1/notifications/preferences',
      headers: tokenOf(b1),
      payload: { email: { 'quote.submitted': false } },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().data.email).toMatchObject({ 'quote.submitted': false, welcome: true, 'order.confirmed': true });
    expect(typeof patched.json().data.updatedAt).toBe('string');
    // b2's own preferences are untouched.
    expect((await server.inject({ url: '/api/v1/notifications/preferences', headers: tokenOf(b2) })).json().data.email['quote.submitted']).toBe(true);

    const quoteId = id('quo');
    const event = contractEvent(TOPICS.quoteSubmitted, quoteId, {
      quoteId,
      rfqId: id('rfq'),
      rfqTitle: 'Olive oil for Lyon',
      buyerCompanyId: B,
      supplierCompanyId: id('supplier-co'),
      supplierName: 'Olivar SA',
      currency: 'EUR',
      items: [{ rfqItemId: id('item'), unitPriceMinor: 650 }],
      totalMinor: 65_000,
      leadTimeDays: 7,
      validUntil: day(14),
    });
    await deliver(server, event, ['quote.submitted.in-app', 'quote.submitted.email']);
    const inApp = await server.notification.notifications.notifications.find({ eventId: event.id }).lean();
    expect(inApp.map((doc) => doc.userId).sort()).toEqual([b1.userId, b2.userId].sort());
    const toB2 = (await waitForMails(b2.email, 2)).filter((mail) => mail.subject.includes('Olive oil for Lyon'));
    expect(toB2).toHaveLength(1);
    expect(toB2[0]!.text).toContain('Olivar SA quoted €650.00');
    expect((await mailsTo(b1.email)).filter((mail) => mail.subject.includes('Olive oil for Lyon'))).toEqual([]);

    // Turned on again: the next one is mailed.
    await server.inject({ method: 'PATCH', url: '/api/v1/notifications/preferences', headers: tokenOf(b1), payload: { email: { 'quote.submitted': true } } });
    const again = contractEvent(TOPICS.quoteSubmitted, quoteId, { ...event.data, rfqTitle: 'Olive oil for Lyon, again' });
    await deliver(server, again, ['quote.submitted.email']);
    expect((await mailsTo(b1.email)).filter((mail) => mail.subject.includes('Olive oil for Lyon, again'))).toHaveLength(1);
  });

  it('preferences: authenticated callers only, and bad input is a 400', async () => {
    expect((await server.inject({ url: '/api/v1/notifications/preferences' })).statusCode).toBe(401);
    expect((await server.inject({ method: 'PATCH', url: '/api/v1/notifications/preferences', payload: { email: {} } })).statusCode).toBe(401);
    const without = bearer(issuer.token({ sub: b1.userId, role: 'buyer', companyId: B, permissions: ['rfq:read'] }));
    expect((await server.inject({ url: '/api/v1/notifications/preferences', headers: without })).statusCode).toBe(403);
    for (const payload of [{ email: { 'no.such-type': false } }, { email: { welcome: 'no' } }, { email: {}, sms: {} }, {}, { email: [] }]) {
      const res = await server.inject({ method: 'PATCH', url: '/api/v1/notifications/preferences', headers: tokenOf(b1), payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_ERROR');
    }
  });
});
