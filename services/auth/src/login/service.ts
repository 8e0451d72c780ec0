import { AuthenticationError, AuthorizationError } from '@foodxchange/service-kit';
import type { AuthDeps, RequestOrigin } from '../deps.js';
import { normaliseEmail, type CredentialDoc } from '../credentials/model.js';
import { enabledFactorOf, issueChallenge, type MfaChallenge } from '../mfa/service.js';
import { openSession, type TokenAnswer } from '../sessions/service.js';
import type { LoginThrottle } from './throttle.js';

/** One answer for an unknown address and a wrong password, so neither confirms an account exists. */
const BAD_CREDENTIALS = 'The e-mail address or the password is wrong';

/**
 * The first factor: the password of an active account, within the brute-force limits. Resolves
 * to the account; everything after it (a second factor, then the tokens) is the caller's step.
 * It does not reset the failure count: for a user with MFA only the second factor does, or an
 * attacker who knows the password could interleave logins to guess codes without ever locking.
 */
export async function verifyPassword(
  deps: AuthDeps,
  throttle: LoginThrottle,
  input: { email: string; password: string },
  origin: RequestOrigin,
): Promise<CredentialDoc> {
  const email = normaliseEmail(input.email);
  await throttle.assertMayTry(email, origin.ip);
  const user = await deps.credentials.findOne({ email }).select({ outbox: 0 }).lean<CredentialDoc>();
  // An unknown address still costs a full argon2 verification: the answer takes as long as a wrong password.
  const valid = user ? await deps.hasher.verify(user.passwordHash, input.password) : await deps.hasher.verifyNothing(input.password);
  if (!user || !valid) {
    await throttle.recordFailure(email, origin.ip);
    throw new AuthenticationError(BAD_CREDENTIALS);
  }
  // Told only to whoever knows the password: a suspension is not revealed to a guesser.
  if (user.status === 'suspended') throw new AuthorizationError('This account is suspended', { reason: 'suspended' });
  return user;
}

/**
 * POST /auth/login: password → a new token family; for a user with MFA, password → a short-lived
 * challenge, and the tokens only from POST /auth/mfa/verify with a code.
 */
export async function login(
  deps: AuthDeps,
  throttle: LoginThrottle,
  input: { email: string; password: string },
  origin: RequestOrigin,
): Promise<TokenAnswer | MfaChallenge> {
  const user = await verifyPassword(deps, throttle, input, origin);
  if (await enabledFactorOf(deps, user._id)) return issueChallenge(deps, user._id);
  await throttle.recordSuccess(user.email);
  return openSession(deps, user, 'password', origin);
}
