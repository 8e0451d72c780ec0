import { Secret, TOTP } from 'otpauth';
import type { FastifyInstance } from 'fastify';
import { bearer, waitFor } from '@foodxchange/service-kit/testing';
import { login, registerUser, uniqueIp } from './helpers.js';

const PERIOD_MS = 30_000;

/**
 * The codes of the previous, current and next time step, taken when at least 12 s of the current
 * step remain: the server accepts all three until the step ends, so a test that uses them in that
 * order (oldest first) never meets a step boundary that makes one of them stale.
 */
export async function stepCodes(secret: string): Promise<{ previous: string; current: string; next: string }> {
  await waitFor(() => PERIOD_MS - (Date.now() % PERIOD_MS) >= 12_000, { timeoutMs: 40_000, intervalMs: 200, what: 'a fresh TOTP time step' });
  const totp = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' });
  const now = Date.now();
  return {
    previous: totp.generate({ timestamp: now - PERIOD_MS }),
    current: totp.generate({ timestamp: now }),
    next: totp.generate({ timestamp: now + PERIOD_MS }),
  };
}

/** A code no step of the window has (differs from all three). */
export function wrongCode(codes: { previous: string; current: string; next: string }): string {
  for (let candidate = 0; ; candidate++) {
    const code = String(candidate).padStart(6, '0');
    if (![codes.previous, codes.current, codes.next].includes(code)) return code;
  }
}

export function post(server: FastifyInstance, url: string, payload: unknown, token?: string, remoteAddress = '127.0.0.1') {
  return server.inject({ method: 'POST', url: `/api/v1/auth${url}`, payload: payload as object, headers: token ? bearer(token) : {}, remoteAddress });
}

/** A registered user with MFA enabled (confirmed with the previous step's code); the other two codes are left to the test. */
export async function userWithMfa(server: FastifyInstance) {
  const user = await registerUser(server);
  const enrolled = await post(server, '/mfa/enroll', {}, user.data.accessToken);
  if (enrolled.statusCode !== 200) throw new Error(`enroll failed: ${enrolled.statusCode} ${enrolled.body}`);
  const { secret, otpauthUri } = enrolled.json().data as { secret: string; otpauthUri: string };
  const codes = await stepCodes(secret);
  const confirmed = await post(server, '/mfa/confirm', { code: codes.previous }, user.data.accessToken);
  if (confirmed.statusCode !== 200) throw new Error(`confirm failed: ${confirmed.statusCode} ${confirmed.body}`);
  const recoveryCodes = confirmed.json().data.recoveryCodes as string[];
  return { ...user, secret, otpauthUri, codes, recoveryCodes, ip: uniqueIp() };
}

export async function challengeOf(server: FastifyInstance, email: string, password: string, ip: string): Promise<string> {
  const res = await login(server, email, password, ip);
  if (res.statusCode !== 200 || !res.json().data.mfaRequired) throw new Error(`expected an MFA challenge: ${res.statusCode} ${res.body}`);
  return res.json().data.challengeToken as string;
}
