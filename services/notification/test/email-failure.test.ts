import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { TOPICS, type FoodXchangeEvent } from '@foodxchange/contracts';
import { DLQ_HEADERS } from '@foodxchange/service-kit';
import { dropDatabase, readTopicFromNow, startTestIssuer, testTopic, waitFor, type TestIssuer } from '@foodxchange/service-kit/testing';
import { contractEvent, deliver, handled, id, newUser, registered, startNotification } from './fixtures.js';
import { mailsTo, waitForMails } from './maildev.js';

// Its own file: no other notification app may consume the events (it would mail them itself).
let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer?.close();
});

/** A port nothing listens on: connections are refused (an SMTP server that is down). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('an SMTP server that is down', () => {
  it('is retried with backoff, then the event goes to the dead-letter topic; after the fix its replay delivers it once', async () => {
    const env = { ...issuer.env, CONSUMER_MAX_ATTEMPTS: 3, CONSUMER_BACKOFF_MS: 20 };
    const broken = await startNotification({ ...env, SMTP_URL: `smtp://127.0.0.1:${await closedPort()}`, SMTP_TIMEOUT_MS: 2000 });
    const { MONGO_DB, KAFKA_GROUP_ID } = broken.config;
    const dlq = await readTopicFromNow(`${TOPICS.userRegistered}.dlq`);
    const user = newUser('supplier', id('supplier-co'), 'mail-down');
    const event: FoodXchangeEvent = contractEvent(TOPICS.userRegistered, user.userId, registered(user));
    let fixed: FastifyInstance | undefined;
    let brokenClosed = false;
    try {
      await deliver(broken, event, ['user.registered.members', 'user.registered.in-app']);
      await handled(broken, 'user.registered.email', event.id, 'dead-lettered');
      // The in-app notification did not wait for the mail.
      expect(await broken.notification.notifications.notifications.countDocuments({ eventId: event.id })).toBe(1);
      const letter = await waitFor(
        () => dlq.records.find((r) => r.headers[DLQ_HEADERS.handler] === 'user.registered.email' && r.value && JSON.parse(r.value).id === event.id),
        { what: 'the dead letter' },
      );
      expect(letter.headers[DLQ_HEADERS.attempts]).toBe('3');
      expect(letter.headers[DLQ_HEADERS.error]).toMatch(/not delivered/);
      expect(await mailsTo(user.email)).toEqual([]);
      await broken.close();
      brokenClosed = true;

      // The fix (a working SMTP server) is deployed on the same database and group, then the
      // dead letter is replayed to its topic as it was: delivered, once.
      fixed = await startNotification({ ...env, MONGO_DB, KAFKA_GROUP_ID });
      await fixed.events.producer.send({ topic: testTopic(TOPICS.userRegistered), messages: [{ key: letter.key, value: letter.value }] });
      await handled(fixed, 'user.registered.email', event.id);
      expect(await waitForMails(user.email)).toHaveLength(1);
      expect(await fixed.notification.notifications.notifications.countDocuments({ eventId: event.id })).toBe(1);
    } finally {
      await dlq.stop();
      if (!brokenClosed) {
        await dropDatabase(broken);
        await broken.close();
      }
      if (fixed) {
        await dropDatabase(fixed);
        await fixed.close();
      }
    }
  });
});
