/** Sign-in, two-factor, registration and sign-out: the auth routes with the cookie transport. */
import { api, unwrap } from '@/api/client';
import { queryClient } from '@/query';
import { COOKIE_TRANSPORT, session, type TokenAnswer } from './session';
import type { paths } from '@/api/schema';

type RegisterBody = paths['/api/v1/auth/register']['post']['requestBody']['content']['application/json'];

export type SignInResult = { kind: 'signedIn' } | { kind: 'mfa'; challengeToken: string };

export async function signIn(email: string, password: string): Promise<SignInResult> {
  const answer = unwrap(await api.POST('/api/v1/auth/login', { body: { email, password }, headers: COOKIE_TRANSPORT }));
  if ('mfaRequired' in answer && answer.mfaRequired) return { kind: 'mfa', challengeToken: answer.challengeToken };
  session.signedIn(answer as TokenAnswer);
  return { kind: 'signedIn' };
}

export async function verifyMfa(challengeToken: string, code: string): Promise<void> {
  // A 6-digit code is the authenticator's; anything longer is a recovery code.
  const compact = code.replace(/[\s-]/g, '');
  const body = /^\d{6}$/.test(compact) ? { challengeToken, code: compact } : { challengeToken, recoveryCode: code.trim() };
  const answer = unwrap(await api.POST('/api/v1/auth/mfa/verify', { body, headers: COOKIE_TRANSPORT }));
  session.signedIn(answer as TokenAnswer);
}

export async function register(body: RegisterBody): Promise<void> {
  const answer = unwrap(await api.POST('/api/v1/auth/register', { body, headers: COOKIE_TRANSPORT }));
  session.signedIn(answer as TokenAnswer);
}

/** Ends this sign-in: auth revokes its refresh family and access token and clears the cookie. */
export async function signOut(): Promise<void> {
  try {
    await api.POST('/api/v1/auth/logout', { body: {}, headers: COOKIE_TRANSPORT });
  } finally {
    queryClient.clear();
    session.signedOut('You are signed out.');
  }
}

/** Ends every sign-in of this user, on every device (a lost laptop, a shared browser). */
export async function signOutEverywhere(): Promise<void> {
  try {
    await api.POST('/api/v1/auth/logout-all', { headers: COOKIE_TRANSPORT });
  } finally {
    queryClient.clear();
    session.signedOut('You are signed out on every device.');
  }
}
