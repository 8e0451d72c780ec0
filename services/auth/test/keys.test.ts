import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildService } from '@foodxchange/service-kit';
import { bearer, dropDatabase, isolatedEnv, waitFor } from '@foodxchange/service-kit/testing';
import app, { service } from '../src/app.js';
import { LOCAL_KEY_ENCRYPTION_KEY } from '../src/config.js';
import { registerUser, uniqueIp } from './helpers.js';

const started: FastifyInstance[] = [];
afterEach(async () => {
  await dropDatabase(started[0] ?? {});
  for (const server of started.splice(0)) await server.close();
});

/** Two starts of the service on one database, like a restart or a second replica. */
async function start(env: Record<string, unknown>): Promise<FastifyInstance> {
  const server = await buildService(service, app, env);
  started.push(server);
  return server;
}

const jwks = async (server: FastifyInstance) => (await server.inject({ url: '/api/v1/auth/.well-known/jwks.json' })).json().keys as { kid: string }[];
const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid as string;

describe('signing keys', () => {
  it('survive a restart: the same kid, the private key stored encrypted, tokens of the first start still accepted', async () => {
    const env = isolatedEnv('auth');
    const first = await start(env);
    const { data } = await registerUser(first);
    const [key] = await jwks(first);
    const stored = await first.mongo.collection('signing_keys').find().toArray();
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain('PRIVATE KEY');
    await first.close();
    started.length = 0;

    const second = await start(env);
    expect((await jwks(second)).map((k) => k.kid)).toEqual([key!.kid]);
    expect(kidOf(data.accessToken)).toBe(key!.kid);
    expect((await second.inject({ url: '/api/v1/auth/me', headers: bearer(data.accessToken) })).statusCode).toBe(200);
  });

  it('are created once when two replicas start on one empty database at the same time', async () => {
    const env = isolatedEnv('auth');
    const [a, b] = await Promise.all([start(env), start(env)]);
    const kidsA = (await jwks(a!)).map((k) => k.kid);
    expect(kidsA).toHaveLength(1);
    expect((await jwks(b!)).map((k) => k.kid)).toEqual(kidsA);
    expect(await a!.mongo.collection('signing_keys').countDocuments()).toBe(1);
  });

  it('rotate: the new key is published first, signs after the activation delay, and the old key stays in the JWKS while its tokens live', async () => {
    const server = await start(isolatedEnv('auth', { SIGNING_KEY_ACTIVATION_DELAY_S: 3 }));
    const before = await registerUser(server);
    const oldKid = kidOf(before.data.accessToken);
    const rotatedAt = Date.now();
    const newKid = await server.auth.keys.rotate();
    expect(newKid).not.toBe(oldKid);

    // Published at once (every replica's JWKS has it before any token carries it) …
    expect((await jwks(server)).map((k) => k.kid).sort()).toEqual([oldKid, newKid].sort());
    // … signing only once the activation delay has passed.
    expect(server.auth.keys.currentKid(rotatedAt)).toBe(oldKid);
    expect(server.auth.keys.currentKid(Date.now() + 3500)).toBe(newKid);
    await waitFor(async () => kidOf((await registerUser(server)).data.accessToken) === newKid, { what: 'tokens signed with the new key' });
    expect((await server.inject({ url: '/api/v1/auth/me', headers: bearer(before.data.accessToken) })).statusCode).toBe(200);

    // Once every token the old key signed has expired (activation + 15 min + skew), it leaves the JWKS.
    const later = Date.now() + 3000 + 16 * 60_000 + 1000;
    expect((await server.auth.keys.published(later)).map((k) => k.kid)).toEqual([newKid]);
    expect((await server.auth.keys.published(Date.now() + 10 * 60_000)).map((k) => k.kid).sort()).toEqual([oldKid, newKid].sort());
  });

  it('rotate by age when configured to (SIGNING_KEY_MAX_AGE_S), keeping the old key published', async () => {
    const env = isolatedEnv('auth');
    const first = await start(env);
    const [original] = await jwks(first);
    await first.close();
    started.length = 0;
    const second = await start({ ...env, SIGNING_KEY_MAX_AGE_S: 1 });
    // The key is at least a moment old by now; the start rotated it, or the next check does.
    await second.auth.keys.rotateIfOlderThan(1);
    const kids = (await jwks(second)).map((k) => k.kid);
    expect(kids).toContain(original!.kid);
    expect(kids.length).toBeGreaterThanOrEqual(2);
  });

  it('refuse to start with a different KEY_ENCRYPTION_KEY than the keys were stored with', async () => {
    const env = isolatedEnv('auth');
    const first = await start(env);
    await first.close();
    started.length = 0;
    await expect(buildService(service, app, { ...env, KEY_ENCRYPTION_KEY: 'ab'.repeat(32) })).rejects.toThrow(/KEY_ENCRYPTION_KEY/);
    started.push(await start(env)); // for the cleanup of its database
  });

  it('refuse to start in production with the local default key encryption key', async () => {
    await expect(
      buildService(service, app, isolatedEnv('auth', { NODE_ENV: 'production', KEY_ENCRYPTION_KEY: LOCAL_KEY_ENCRYPTION_KEY })),
    ).rejects.toThrow(/KEY_ENCRYPTION_KEY must be set in production/);
  });
});

describe('bootstrap super admin', () => {
  it('exists exactly once after two starts (and two concurrent ones), and can sign in with ADMIN_PASSWORD', async () => {
    const env = isolatedEnv('auth', { ADMIN_EMAIL: 'Root@FoodXchange.test', ADMIN_PASSWORD: 'Bootstrap-Admin-Pass-1' });
    const [a, b] = await Promise.all([start(env), start(env)]);
    await a!.close();
    started.splice(0, 1);
    const c = await start(env);
    expect(await c.auth.credentials.countDocuments({ email: 'root@foodxchange.test' })).toBe(1);
    const admin = await c.auth.credentials.findOne({ email: 'root@foodxchange.test' }).lean();
    expect(admin).toMatchObject({ role: 'super_admin', status: 'active' });
    expect(admin!.companyId).toBeUndefined();
    expect(admin!.outbox.filter((entry) => entry.topic === 'user.registered')).toHaveLength(1);
    // From an address of its own: 127.0.0.1's failure count in the shared Redis is other tests' too.
    const res = await c.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'root@foodxchange.test', password: 'Bootstrap-Admin-Pass-1' },
      remoteAddress: uniqueIp(),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.user).toEqual({ id: admin!._id, email: 'root@foodxchange.test', role: 'super_admin' });
    void b;
  });
});
