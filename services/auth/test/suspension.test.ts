import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { TOPICS, buildEvent, toKafkaMessage, type EventData, type Topic } from '@foodxchange/contracts';
import { bearer, dropDatabase, waitFor } from '@foodxchange/service-kit/testing';
import { buildAuth, login, refresh, registerUser } from './helpers.js';

let server: FastifyInstance;
beforeAll(async () => {
  server = await buildAuth();
  await server.events.whenConsuming();
});
afterAll(async () => {
  await dropDatabase(server);
  await server.close();
});

/** Publishes an event as the admin service would (onto this test run's topic namespace). */
async function publish<T extends Topic>(topic: T, subject: string, data: EventData<T>): Promise<string> {
  const event = buildEvent(topic, { source: '/foodxchange/admin', subject, data, correlationId: `test-${subject}` });
  await server.events.producer.send({ topic: server.events.brokerTopic(topic), messages: [toKafkaMessage(event)] });
  return event.id;
}

describe('suspension', () => {
  it('user.suspended → login 403, refresh 401, live access tokens denylisted; user.unsuspended → login works again', async () => {
    const { body, data } = await registerUser(server);
    const second = (await login(server, body.email, body.password)).json().data;
    const suspendedAt = new Date().toISOString();
    await publish(TOPICS.userSuspended, data.user.id, {
      userId: data.user.id,
      email: body.email,
      companyId: data.user.companyId!,
      reason: 'Falsified certificate numbers',
      suspendedBy: 'admin-1',
      suspendedAt,
    });

    const denied = await waitFor(() => server.redis.get(`auth:denylist:user:${data.user.id}`), { what: 'the user denylist key' });
    // The mark is the start of the second it was written in (tokens' iat has whole seconds).
    expect(Number(denied)).toBeGreaterThanOrEqual(Math.floor(Date.parse(suspendedAt) / 1000) * 1000);
    expect(Number(denied) % 1000).toBe(0);
    const ttl = await server.redis.pttl(`auth:denylist:user:${data.user.id}`);
    expect(ttl).toBeGreaterThan(900_000);
    expect(ttl).toBeLessThanOrEqual(960_000);
    await waitFor(async () => (await server.auth.credentials.findById(data.user.id).lean())?.status === 'suspended', { what: 'suspended status' });
    await waitFor(async () => (await server.auth.sessions.families.countDocuments({ userId: data.user.id, revokedAt: null })) === 0, {
      what: 'every family revoked',
    });

    const refused = await login(server, body.email, body.password);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toMatchObject({ code: 'AUTHORIZATION_ERROR', message: expect.stringMatching(/suspended/) });
    // A wrong password is still only "wrong": the suspension is not revealed to a guesser.
    expect((await login(server, body.email, 'Wrong-Password-123')).statusCode).toBe(401);
    expect((await refresh(server, data.refreshToken)).statusCode).toBe(401);
    expect((await refresh(server, second.refreshToken)).statusCode).toBe(401);
    expect((await server.inject({ url: '/api/v1/auth/me', headers: bearer(second.accessToken) })).statusCode).toBe(401);

    await publish(TOPICS.userUnsuspended, data.user.id, {
      userId: data.user.id,
      reason: 'Certificates re-checked',
      unsuspendedBy: 'admin-1',
      unsuspendedAt: new Date(Date.parse(suspendedAt) + 1000).toISOString(),
    });
    // Waits past the second the denylist names: a token minted in the same second would count as older.
    const again = await waitFor(
      async () => {
        const res = await login(server, body.email, body.password);
        return res.statusCode === 200 && Math.floor(Date.now() / 1000) * 1000 > Number(denied) + 1000 ? res : undefined;
      },
      { what: 'login after unsuspension' },
    );
    const fresh = again.json().data;
    expect((await server.inject({ url: '/api/v1/auth/me', headers: bearer(fresh.accessToken) })).statusCode).toBe(200);
    // Old tokens stay dead.
    expect((await server.inject({ url: '/api/v1/auth/me', headers: bearer(second.accessToken) })).statusCode).toBe(401);
  });

  it('a redelivered older suspension does not undo a newer unsuspension', async () => {
    const { body, data } = await registerUser(server);
    const t0 = Date.now();
    await publish(TOPICS.userUnsuspended, data.user.id, {
      userId: data.user.id,
      reason: 'lifted',
      unsuspendedBy: 'admin-1',
      unsuspendedAt: new Date(t0 + 5000).toISOString(),
    });
    await waitFor(async () => (await server.auth.credentials.findById(data.user.id).lean())?.statusChangedAt.getTime() === t0 + 5000, {
      what: 'unsuspension applied',
    });
    const stale = await publish(TOPICS.userSuspended, data.user.id, {
      userId: data.user.id,
      reason: 'old',
      suspendedBy: 'admin-1',
      suspendedAt: new Date(t0).toISOString(),
    });
    await waitFor(async () => (await server.mongo.collection('processed_events').countDocuments({ eventId: stale, status: 'done' })) === 1, {
      what: 'the stale suspension handled',
    });
    expect((await server.auth.credentials.findById(data.user.id).lean())?.status).toBe('active');
    expect((await login(server, body.email, body.password)).statusCode).toBe(200);
  });
});
