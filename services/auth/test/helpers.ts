import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildService } from '@foodxchange/service-kit';
import { isolatedEnv } from '@foodxchange/service-kit/testing';
import app, { service } from '../src/app.js';

export const STRONG_PASSWORD = 'Tomato-Harvest-Crate-42';

/** An auth app on its own database; login limits small so lockout tests take seconds. */
export function buildAuth(extra: Record<string, unknown> = {}): Promise<FastifyInstance> {
  return buildService(
    service,
    app,
    isolatedEnv('auth', {
      ADMIN_EMAIL: `admin-${randomBytes(4).toString('hex')}@foodxchange.test`,
      LOGIN_MAX_FAILURES: 3,
      LOGIN_LOCK_BASE_MS: 1500,
      ...extra,
    }),
  );
}

export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}.${randomBytes(5).toString('hex')}@nordicfresh.example`;
}

/** A client address of its own per test, so the per-address failure counter in Redis is not shared. */
export function uniqueIp(): string {
  const bytes = randomBytes(2);
  return `198.51.${bytes[0]}.${bytes[1]}`;
}

export function registerBody(overrides: Record<string, unknown> = {}) {
  return {
    email: uniqueEmail(),
    password: STRONG_PASSWORD,
    name: 'Anna Lindqvist',
    role: 'buyer',
    company: { name: 'Nordic Fresh Foods AB', country: 'SE' },
    ...overrides,
  };
}

export async function registerUser(server: FastifyInstance, overrides: Record<string, unknown> = {}) {
  const body = registerBody(overrides);
  const res = await server.inject({ method: 'POST', url: '/api/v1/auth/register', payload: body });
  if (res.statusCode !== 201) throw new Error(`register failed: ${res.statusCode} ${res.body}`);
  return { body, data: res.json().data as TokenData };
}

export interface TokenData {
  user: { id: string; email: string; role: string; companyId?: string };
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

/**
 * The address logins come from unless a test names one: one per test file, not 127.0.0.1, whose
 * per-address failure count in the shared Redis other packages' tests (through the gateway) add to.
 */
const DEFAULT_LOGIN_IP = uniqueIp();

export function login(server: FastifyInstance, email: string, password: string, remoteAddress = DEFAULT_LOGIN_IP) {
  return server.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress });
}

export function refresh(server: FastifyInstance, refreshToken: string) {
  return server.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken } });
}
