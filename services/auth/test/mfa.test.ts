import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { TOPICS } from '@foodxchange/contracts';
import { ConfigError } from '@foodxchange/service-kit';
import { bearer, dropDatabase, waitFor } from '@foodxchange/service-kit/testing';
import { LOCAL_MFA_ENCRYPTION_KEYS, mfaEncryptionKeys, type AuthConfig } from '../src/config.js';
import { resealMfaSecrets } from '../src/mfa/service.js';
import { STRONG_PASSWORD, buildAuth, login, registerUser, uniqueIp } from './helpers.js';
import { challengeOf, post, stepCodes, userWithMfa, wrongCode } from './mfa-helpers.js';

let server: FastifyInstance;
beforeAll(async () => {
  server = await buildAuth();
  await server.ready();
});
afterAll(async () => {
  await dropDatabase(server);
  await server.close();
});

const rawFactor = (app: FastifyInstance, userId: string) => app.mongo.db!.collection('mfa_factors').findOne({ _id: userId as never });

describe('MFA enrolment', () => {
  it('enroll answers a secret and an otpauth URI (issuer FoodXchange, label the e-mail); confirm enables it and answers 10 recovery codes once', async () => {
    const { body, data } = await registerUser(server);
    const enrolled = await post(server, '/mfa/enroll', {}, data.accessToken);
    expect(enrolled.statusCode).toBe(200);
    const { secret, otpauthUri } = enrolled.json().data;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(otpauthUri);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe(`/FoodXchange:${body.email}`);
    expect(uri.searchParams.get('issuer')).toBe('FoodXchange');
    expect(uri.searchParams.get('secret')).toBe(secret);

    // Pending: login still answers tokens.
    expect((await login(server, body.email, body.password)).json().data.accessToken).toEqual(expect.any(String));
    const codes = await stepCodes(secret);
    const wrong = await post(server, '/mfa/confirm', { code: wrongCode(codes) }, data.accessToken);
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.fields).toHaveProperty(['body.code']);
    const confirmed = await post(server, '/mfa/confirm', { code: codes.current }, data.accessToken);
    expect(confirmed.statusCode).toBe(200);
    const recoveryCodes = confirmed.json().data.recoveryCodes as string[];
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    expect((await post(server, '/mfa/confirm', { code: codes.next }, data.accessToken)).statusCode).toBe(409);
    expect((await post(server, '/mfa/enroll', {}, data.accessToken)).statusCode).toBe(409);

    // At rest: the secret only sealed (AES-256-GCM, with its key id); recovery codes only hashed.
    const raw = await rawFactor(server, data.user.id);
    expect(raw).toMatchObject({ status: 'enabled', secret: { keyId: 'local-1', iv: expect.any(String), tag: expect.any(String), ciphertext: expect.any(String) } });
    const stored = JSON.stringify(raw);
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(Buffer.from(secret).toString('base64'));
    for (const code of recoveryCodes) {
      expect(stored).not.toContain(code);
      expect(stored).not.toContain(code.replace(/-/g, ''));
    }
  });

  it('needs a signed-in user: anonymous callers get 401 whatever the body', async () => {
    for (const url of ['/mfa/enroll', '/mfa/confirm', '/mfa/disable']) {
      for (const payload of [{}, { code: '123456' }, { code: 42, junk: true }]) {
        const res = await post(server, url, payload);
        expect(res.statusCode, `${url} ${JSON.stringify(payload)}`).toBe(401);
        expect(res.json()).toMatchObject({ success: false, error: { code: 'AUTHENTICATION_ERROR' } });
      }
    }
  });
});

describe('login with MFA', () => {
  it('login answers a challenge (no tokens); verify with a code answers the login tokens and publishes user.logged-in (password)', async () => {
    const user = await userWithMfa(server);
    const res = await login(server, user.body.email, STRONG_PASSWORD, user.ip);
    expect(res.statusCode).toBe(200);
    const challenge = res.json().data;
    expect(challenge).toEqual({ mfaRequired: true, challengeToken: expect.any(String), expiresIn: 300 });
    expect(res.body).not.toContain('accessToken');

    const before = Date.now();
    const verified = await post(server, '/mfa/verify', { challengeToken: challenge.challengeToken, code: user.codes.current }, undefined, user.ip);
    expect(verified.statusCode).toBe(200);
    const tokens = verified.json().data;
    expect(tokens).toMatchObject({ user: { id: user.data.user.id, email: user.body.email, role: 'buyer' }, tokenType: 'Bearer', expiresIn: 900 });
    expect((await server.inject({ url: '/api/v1/auth/me', headers: bearer(tokens.accessToken) })).statusCode).toBe(200);
    const family = await waitFor(
      () => server.auth.sessions.families.findOne({ userId: user.data.user.id, method: 'password', createdAt: { $gte: new Date(before - 1000) } }).lean(),
      { what: 'the login family' },
    );
    expect(family.outbox?.[0]).toMatchObject({ topic: TOPICS.userLoggedIn });

    // The challenge works once.
    const again = await post(server, '/mfa/verify', { challengeToken: challenge.challengeToken, code: user.codes.next }, undefined, user.ip);
    expect(again.statusCode).toBe(401);
  });

  it('a TOTP code works once: the same code on a second challenge is refused', async () => {
    const user = await userWithMfa(server);
    // The confirm's code (previous step) is used up already.
    const first = await challengeOf(server, user.body.email, STRONG_PASSWORD, user.ip);
    expect((await post(server, '/mfa/verify', { challengeToken: first, code: user.codes.previous }, undefined, user.ip)).statusCode).toBe(401);
    expect((await post(server, '/mfa/verify', { challengeToken: first, code: user.codes.current }, undefined, user.ip)).statusCode).toBe(200);
    const second = await challengeOf(server, user.body.email, STRONG_PASSWORD, user.ip);
    const replay = await post(server, '/mfa/verify', { challengeToken: second, code: user.codes.current }, undefined, user.ip);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().error.details).toMatchObject({ reason: 'MFA_CODE_INVALID' });
    // Concurrent uses of one fresh code: exactly one wins.
    const [a, b] = await Promise.all([challengeOf(server, user.body.email, STRONG_PASSWORD, user.ip), challengeOf(server, user.body.email, STRONG_PASSWORD, user.ip)]);
    const results = await Promise.all([a, b].map((challengeToken) => post(server, '/mfa/verify', { challengeToken, code: user.codes.next }, undefined, user.ip)));
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401]);
  });

  it('wrong codes count toward the account lock (429 with Retry-After, even with the right code then)', async () => {
    const user = await userWithMfa(server);
    const challengeToken = await challengeOf(server, user.body.email, STRONG_PASSWORD, user.ip);
    const wrong = wrongCode(user.codes);
    for (let attempt = 0; attempt < 3; attempt++) {
      // A right password between wrong codes does not reset the count.
      if (attempt === 1) await challengeOf(server, user.body.email, STRONG_PASSWORD, user.ip);
      const res = await post(server, '/mfa/verify', { challengeToken, code: wrong }, undefined, user.ip);
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('AUTHENTICATION_ERROR');
    }
    const locked = await post(server, '/mfa/verify', { challengeToken, code: user.codes.current }, undefined, user.ip);
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // After the lock (1.5 s in the tests) the right code works and the count is reset.
    const ok = await waitFor(
      async () => {
        const res = await post(server, '/mfa/verify', { challengeToken, code: user.codes.current }, undefined, user.ip);
        return res.statusCode === 200 ? res : undefined;
      },
      { what: 'the lock to end' },
    );
    expect(ok.json().data.accessToken).toEqual(expect.any(String));
  });

  it('a recovery code works once instead of a code', async () => {
    const user = await userWithMfa(server);
    const [recovery] = user.recoveryCodes;
    const first = await challengeOf(server, user.body.email, STRONG_PASSWORD, user.ip);
    // Any spelling of it: upper case, without dashes.
    const used = await post(server, '/mfa/verify', { challengeToken: first, recoveryCode: recovery!.replace(/-/g, '').toUpperCase() }, undefined, user.ip);
    expect(used.statusCode).toBe(200);
    const second = await challengeOf(server, user.body.email, STRONG_PASSWORD, user.ip);
    expect((await post(server, '/mfa/verify', { challengeToken: second, recoveryCode: recovery }, undefined, user.ip)).statusCode).toBe(401);
    expect((await post(server, '/mfa/verify', { challengeToken: second, recoveryCode: user.recoveryCodes[1] }, undefined, user.ip)).statusCode).toBe(200);
    // Neither, or both: 400.
    const third = await challengeOf(server, user.body.email, STRONG_PASSWORD, user.ip);
    expect((await post(server, '/mfa/verify', { challengeToken: third }, undefined, user.ip)).statusCode).toBe(400);
  });

  it('an expired or unknown challenge is refused', async () => {
    const user = await userWithMfa(server);
    const challengeToken = await challengeOf(server, user.body.email, STRONG_PASSWORD, user.ip);
    await server.auth.mfa.challenges.updateMany({ userId: user.data.user.id }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await post(server, '/mfa/verify', { challengeToken, code: user.codes.current }, undefined, user.ip)).statusCode).toBe(401);
    expect((await post(server, '/mfa/verify', { challengeToken: randomBytes(32).toString('base64url'), code: user.codes.current }, undefined, user.ip)).statusCode).toBe(401);
    // The code was not used up by the refused attempts.
    const fresh = await challengeOf(server, user.body.email, STRONG_PASSWORD, user.ip);
    expect((await post(server, '/mfa/verify', { challengeToken: fresh, code: user.codes.current }, undefined, user.ip)).statusCode).toBe(200);
  });

  it('disable needs a right code (TOTP or recovery); then login answers tokens again', async () => {
    const user = await userWithMfa(server);
    const wrong = await post(server, '/mfa/disable', { code: wrongCode(user.codes) }, user.data.accessToken, user.ip);
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.fields).toHaveProperty(['body.code']);
    expect((await post(server, '/mfa/disable', { code: user.recoveryCodes[3] }, user.data.accessToken, user.ip)).json().data).toEqual({ enabled: false });
    expect(await rawFactor(server, user.data.user.id)).toBeNull();
    const res = await login(server, user.body.email, STRONG_PASSWORD, user.ip);
    expect(res.json().data).toMatchObject({ accessToken: expect.any(String), refreshToken: expect.any(String) });
    expect((await post(server, '/mfa/disable', { code: user.codes.current }, user.data.accessToken, user.ip)).statusCode).toBe(409);

    // And with a TOTP code.
    const other = await userWithMfa(server);
    expect((await post(server, '/mfa/disable', { code: other.codes.current }, other.data.accessToken, other.ip)).statusCode).toBe(200);
  });

  it('users without MFA keep the DESIGN.md login payload', async () => {
    const { body } = await registerUser(server);
    const res = await login(server, body.email, body.password, uniqueIp());
    expect(Object.keys(res.json().data).sort()).toEqual(['accessToken', 'expiresIn', 'refreshExpiresIn', 'refreshToken', 'tokenType', 'user']);
  });
});

describe('MFA secret encryption keys', () => {
  it('a new key put first: old secrets still open, are re-sealed under it on use and by the job', async () => {
    const oldKey = `old:${randomBytes(32).toString('base64')}`;
    const newKey = `new:${randomBytes(32).toString('base64')}`;
    const before = await buildAuth({ MFA_ENCRYPTION_KEYS: oldKey });
    const db = String(before.auth.config.MONGO_DB);
    let after: FastifyInstance | undefined;
    let newOnly: FastifyInstance | undefined;
    try {
      const used = await userWithMfa(before);
      const idle = await userWithMfa(before);
      expect((await rawFactor(before, used.data.user.id))?.secret.keyId).toBe('old');
      await before.close();
      // Dropping the old key while secrets are sealed with it stops the start, naming the key.
      await expect(buildAuth({ MONGO_DB: db, MFA_ENCRYPTION_KEYS: newKey })).rejects.toThrow(/MFA_ENCRYPTION_KEYS lacks key old/);

      after = await buildAuth({ MONGO_DB: db, MFA_ENCRYPTION_KEYS: `${newKey},${oldKey}` });
      const challengeToken = await challengeOf(after, used.body.email, STRONG_PASSWORD, used.ip);
      // Codes of now: enrolling the second user may have taken the clock into a later step.
      const usedCode = (await stepCodes(used.secret)).current;
      expect((await post(after, '/mfa/verify', { challengeToken, code: usedCode }, undefined, used.ip)).statusCode).toBe(200);
      expect((await rawFactor(after, used.data.user.id))?.secret.keyId).toBe('new');
      expect((await rawFactor(after, idle.data.user.id))?.secret.keyId).toBe('old');
      expect(await resealMfaSecrets(after.auth)).toBe(1);
      expect((await rawFactor(after, idle.data.user.id))?.secret.keyId).toBe('new');
      await after.close();
      after = undefined;

      // The old key can now go: both secrets open under the new one alone.
      newOnly = await buildAuth({ MONGO_DB: db, MFA_ENCRYPTION_KEYS: newKey });
      for (const user of [used, idle]) {
        // `next`: later than any step either user has used so far.
        const code = (await stepCodes(user.secret)).next;
        const token = await challengeOf(newOnly, user.body.email, STRONG_PASSWORD, user.ip);
        expect((await post(newOnly, '/mfa/verify', { challengeToken: token, code }, undefined, user.ip)).statusCode).toBe(200);
      }
    } finally {
      await after?.close();
      if (newOnly) {
        await dropDatabase(newOnly);
        await newOnly.close();
      }
    }
  });

  it('a production start with the local MFA key is refused', async () => {
    await expect(buildAuth({ NODE_ENV: 'production', KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') })).rejects.toThrow(
      /MFA_ENCRYPTION_KEYS must be set in production/,
    );
  });

  it('the key ring refuses the local default in production and malformed entries anywhere', () => {
    const config = (MFA_ENCRYPTION_KEYS: string, NODE_ENV = 'development') => ({ MFA_ENCRYPTION_KEYS, NODE_ENV }) as unknown as AuthConfig;
    expect(() => mfaEncryptionKeys(config(LOCAL_MFA_ENCRYPTION_KEYS, 'production'))).toThrow(ConfigError);
    expect(mfaEncryptionKeys(config(LOCAL_MFA_ENCRYPTION_KEYS)).map((key) => key.id)).toEqual(['local-1']);
    expect(() => mfaEncryptionKeys(config('k1:c2hvcnQ='))).toThrow(/32 bytes/);
    expect(() => mfaEncryptionKeys(config(randomBytes(32).toString('base64')))).toThrow(ConfigError);
    const key = randomBytes(32).toString('base64');
    expect(() => mfaEncryptionKeys(config(`a:${key},a:${key}`))).toThrow(/twice/);
    expect(mfaEncryptionKeys(config(`b:${key}, a:${key}`, 'production')).map((entry) => entry.id)).toEqual(['b', 'a']);
  });
});
