import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mongoose from 'mongoose';
import { isolatedEnv, waitFor } from '@foodxchange/service-kit/testing';
import { STRONG_PASSWORD, registerBody, uniqueIp } from './helpers.js';
import { stepCodes, wrongCode } from './mfa-helpers.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** Runs a script of this package with `node --import tsx`, collecting everything it writes to stdout. */
function run(script: string, args: string[], env: Record<string, unknown>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: packageDir,
    env: { ...process.env, ...Object.fromEntries(Object.entries(env).map(([key, value]) => [key, String(value)])) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('logs', () => {
  // Each run signs in from an address of its own (X-Forwarded-For from the trusted local client):
  // 127.0.0.1's failure count in the shared Redis is added to by other packages' tests.
  const env = isolatedEnv('auth', { LOG_LEVEL: 'trace', LOGIN_MAX_FAILURES: 10, TRUST_PROXY: '127.0.0.1' });
  const clientIp = { 'x-forwarded-for': uniqueIp() };
  let service: ReturnType<typeof run>;
  let baseUrl: string;

  beforeAll(async () => {
    service = run('src/server.ts', [], env);
    const port = await waitFor(() => /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(service.output())?.[1], {
      timeoutMs: 60_000,
      what: 'the auth service to listen',
    });
    baseUrl = `http://127.0.0.1:${port}/api/v1/auth`;
  });

  afterAll(async () => {
    service.child.kill('SIGTERM');
    await service.exited;
    const connection = await mongoose.createConnection(String(env.MONGO_URL ?? 'mongodb://127.0.0.1:27017/?directConnection=true'), { dbName: String(env.MONGO_DB) }).asPromise();
    await connection.dropDatabase();
    await connection.close();
  });

  it('written by real requests (at trace level) contain no password, access token or refresh token', async () => {
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...clientIp, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const dataOf = async (response: Promise<Response>) => ((await (await response).json()) as { data: { accessToken: string; refreshToken: string } }).data;
    const registration = registerBody();
    const registered = await dataOf(post('/register', registration));
    const wrongPassword = 'Wrong-Password-Guess-77';
    expect((await post('/login', { email: registration.email, password: wrongPassword })).status).toBe(401);
    const session = await dataOf(post('/login', { email: registration.email, password: STRONG_PASSWORD }));
    expect((await fetch(`${baseUrl}/me`, { headers: { authorization: `Bearer ${session.accessToken}` } })).status).toBe(200);
    const rotated = await dataOf(post('/refresh', { refreshToken: session.refreshToken }));
    expect((await post('/refresh', { refreshToken: session.refreshToken })).status).toBe(401);
    const weakPassword = 'qwerty123456';
    expect((await post('/register', registerBody({ password: weakPassword }))).status).toBe(400);
    // Broken JSON around a password: the parser's complaint must not quote it.
    const brokenPassword = 'Broken-Json-Secret-31';
    expect((await post('/login', `{"email":"x@y.z","password":${brokenPassword}}`)).status).toBe(400);
    expect((await post('/logout', { refreshToken: rotated.refreshToken }, { authorization: `Bearer ${rotated.accessToken}` })).status).toBe(200);
    // A refused (logged-out) token on a protected route is logged as a refusal, not as the token.
    expect((await fetch(`${baseUrl}/me`, { headers: { authorization: `Bearer ${rotated.accessToken}` } })).status).toBe(401);

    const secrets = [
      STRONG_PASSWORD,
      wrongPassword,
      weakPassword,
      brokenPassword,
      registered.accessToken,
      registered.refreshToken,
      session.accessToken,
      session.refreshToken,
      rotated.accessToken,
      rotated.refreshToken,
    ];
    // Every request above was logged (the log is the one they wrote) …
    await waitFor(() => (service.output().match(/"msg":"request completed"/g)?.length ?? 0) >= 10, { what: 'the request logs' });
    const log = service.output();
    expect(log).toContain('/api/v1/auth/login');
    // … and none of it holds a secret, nor the signature part of a token.
    for (const secret of secrets) expect(log).not.toContain(secret);
    for (const token of [registered.accessToken, session.accessToken, rotated.accessToken]) expect(log).not.toContain(token.split('.')[2]);
  });

  it('written by real MFA and API-key requests contain no TOTP secret, URI, code, recovery code, challenge or API key', async () => {
    const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...clientIp, ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, json: (await response.json()) as { data: Record<string, any> } };
    };
    const requestsBefore = service.output().match(/"msg":"request completed"/g)?.length ?? 0;
    const registration = registerBody();
    const { accessToken } = (await call('POST', '/register', registration)).json.data;
    const auth = { authorization: `Bearer ${accessToken}` };
    const enrolled = (await call('POST', '/mfa/enroll', {}, auth)).json.data;
    const codes = await stepCodes(enrolled.secret);
    const confirmed = await call('POST', '/mfa/confirm', { code: codes.previous }, auth);
    expect(confirmed.status).toBe(200);
    const recoveryCodes = confirmed.json.data.recoveryCodes as string[];
    const challenge = (await call('POST', '/login', { email: registration.email, password: STRONG_PASSWORD })).json.data;
    expect(challenge.mfaRequired).toBe(true);
    const wrong = wrongCode(codes);
    expect((await call('POST', '/mfa/verify', { challengeToken: challenge.challengeToken, code: wrong })).status).toBe(401);
    const verified = await call('POST', '/mfa/verify', { challengeToken: challenge.challengeToken, code: codes.current });
    expect(verified.status).toBe(200);
    const second = (await call('POST', '/login', { email: registration.email, password: STRONG_PASSWORD })).json.data;
    expect((await call('POST', '/mfa/verify', { challengeToken: second.challengeToken, recoveryCode: recoveryCodes[0] })).status).toBe(200);
    const created = await call('POST', '/api-keys', { name: 'ERP' }, auth);
    expect(created.status).toBe(201);
    const apiKey = created.json.data.key as string;
    const exchanged = await call('POST', '/api-keys/token', undefined, { 'x-api-key': apiKey });
    expect(exchanged.status).toBe(200);
    expect((await call('POST', '/api-keys/token', undefined, { 'x-api-key': `${apiKey}x` })).status).toBe(401);
    const rotated = await call('POST', `/api-keys/${created.json.data.id}/rotate`, { graceSeconds: 60 }, auth);
    expect(rotated.status).toBe(200);

    await waitFor(() => (service.output().match(/"msg":"request completed"/g)?.length ?? 0) >= requestsBefore + 12, { what: 'the request logs' });
    const log = service.output();
    expect(log).toContain('/api/v1/auth/mfa/verify');
    const secrets = [
      enrolled.secret,
      enrolled.otpauthUri,
      encodeURIComponent(enrolled.otpauthUri),
      // Quoted: six digits alone could turn up by chance inside a timestamp or a duration.
      ...[codes.previous, codes.current, codes.next, wrong].map((code) => `"${code}"`),
      ...recoveryCodes,
      challenge.challengeToken,
      second.challengeToken,
      verified.json.data.accessToken,
      verified.json.data.refreshToken,
      apiKey,
      apiKey.split('_').slice(2).join('_'),
      exchanged.json.data.accessToken.split('.')[2],
      rotated.json.data.key,
    ];
    for (const secret of secrets) expect(log).not.toContain(secret);
  });

  it('are redacted by the kit whatever object holds the secret (body, headers, answers)', async () => {
    const secrets = ['Probe-Password-123', 'probe-refresh-token-abc', 'probe.access.token', '123456', 'probe-totp-secret', 'fx_probe_api_key'];
    const probe = run('test/fixtures/log-probe.ts', secrets, { NODE_ENV: 'test' });
    expect(await probe.exited).toBe(0);
    const log = probe.output();
    expect(log).toContain('"msg":"probe"');
    expect(log).toContain('[redacted]');
    expect(log).toContain('probe@foodxchange.test');
    for (const secret of secrets) expect(log).not.toContain(secret);
  });
});
