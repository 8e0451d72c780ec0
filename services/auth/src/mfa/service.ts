import { createHash, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { AuthenticationError, AuthorizationError, ConflictError, NotFoundError, ValidationError, isDuplicateKeyError } from '@foodxchange/service-kit';
import type { AuthDeps, RequestOrigin } from '../deps.js';
import type { CredentialDoc } from '../credentials/model.js';
import type { LoginThrottle } from '../login/throttle.js';
import { openSession, type TokenAnswer } from '../sessions/service.js';
import type { MfaFactorDoc } from './model.js';

export const TOTP_ISSUER = 'FoodXchange';
const PERIOD_S = 30;
const DIGITS = 6;
/** Codes of the previous and the next time step are accepted too (clock drift, typing time). */
const WINDOW = 1;
export const RECOVERY_CODE_COUNT = 10;
/** A step marker outlives the window it could be replayed in. */
const STEP_MARKER_TTL_MS = 10 * 60_000;
/** Recovery-code markers must outlive the factor; disabling MFA removes them. */
const RECOVERY_MARKER_TTL_MS = 10 * 365 * 24 * 3600_000;

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

function totpOf(email: string, base32Secret: string): TOTP {
  return new TOTP({ issuer: TOTP_ISSUER, label: email, algorithm: 'SHA1', digits: DIGITS, period: PERIOD_S, secret: Secret.fromBase32(base32Secret) });
}

/** Recovery codes as shown: 16 hex digits in groups of four; compared without dashes, spaces or case. */
function newRecoveryCode(): string {
  return randomBytes(8).toString('hex').match(/.{4}/g)!.join('-');
}
export const recoveryCodeHash = (code: string) => sha256(code.replace(/[\s-]/g, '').toLowerCase());

export const isTotpCode = (code: string) => /^\d{6}$/.test(code);

async function accountOf(deps: AuthDeps, userId: string): Promise<CredentialDoc> {
  const user = await deps.credentials.findById(userId).select({ outbox: 0 }).lean<CredentialDoc>();
  if (!user) throw new NotFoundError('User');
  return user;
}

export interface Enrolment {
  secret: string;
  otpauthUri: string;
  issuer: string;
  label: string;
  digits: number;
  period: number;
}

/**
 * POST /auth/mfa/enroll: a new TOTP secret, pending until a first code confirms it. Enrolling again
 * before confirming replaces the pending secret; with MFA already on, the upsert's duplicate `_id`
 * refuses it (disable first).
 */
export async function enroll(deps: AuthDeps, userId: string, now = new Date()): Promise<Enrolment> {
  const user = await accountOf(deps, userId);
  const secret = new Secret({ size: 20 });
  const totp = totpOf(user.email, secret.base32);
  try {
    await deps.mfa.factors.replaceOne(
      { _id: userId, status: 'pending' },
      { _id: userId, status: 'pending', secret: deps.mfaKeys.seal(secret.base32, userId), recoveryCodeHashes: [], lastStep: null, createdAt: now, enabledAt: null },
      { upsert: true },
    );
  } catch (error) {
    if (isDuplicateKeyError(error)) throw new ConflictError('Two-factor sign-in is already enabled: disable it first to enrol a new authenticator');
    throw error;
  }
  return { secret: secret.base32, otpauthUri: totp.toString(), issuer: TOTP_ISSUER, label: user.email, digits: DIGITS, period: PERIOD_S };
}

type CodeCheck = { ok: true; step: number; plainSecret: string } | { ok: false; reason: 'wrong' | 'replayed' };

/**
 * Checks a TOTP code against a factor and, when it is right, uses up its time step: a unique
 * insert per (user, step), so a code works once even when two requests race. A step at or before
 * the last accepted one is refused too (an older, unused code seen over someone's shoulder).
 */
async function useTotp(deps: AuthDeps, factor: MfaFactorDoc, code: string, now: Date): Promise<CodeCheck> {
  const plainSecret = deps.mfaKeys.open(factor.secret, factor._id);
  const delta = TOTP.validate({
    token: code,
    secret: Secret.fromBase32(plainSecret),
    algorithm: 'SHA1',
    digits: DIGITS,
    period: PERIOD_S,
    timestamp: now.getTime(),
    window: WINDOW,
  });
  if (delta === null) return { ok: false, reason: 'wrong' };
  const step = Math.floor(now.getTime() / 1000 / PERIOD_S) + delta;
  if (typeof factor.lastStep === 'number' && step <= factor.lastStep) return { ok: false, reason: 'replayed' };
  try {
    await deps.mfa.stepUses.create({ _id: `${factor._id}:${step}`, userId: factor._id, usedAt: now, expiresAt: new Date(now.getTime() + STEP_MARKER_TTL_MS) });
  } catch (error) {
    if (isDuplicateKeyError(error)) return { ok: false, reason: 'replayed' };
    throw error;
  }
  return { ok: true, step, plainSecret };
}

/** Uses up a recovery code of the factor: each works once (unique insert of its hash). */
async function useRecoveryCode(deps: AuthDeps, factor: MfaFactorDoc, code: string, now: Date): Promise<boolean> {
  const hash = recoveryCodeHash(code);
  if (!factor.recoveryCodeHashes.includes(hash)) return false;
  try {
    await deps.mfa.recoveryUses.create({ _id: `${factor._id}:${hash}`, userId: factor._id, usedAt: now, expiresAt: new Date(now.getTime() + RECOVERY_MARKER_TTL_MS) });
    return true;
  } catch (error) {
    if (isDuplicateKeyError(error)) return false;
    throw error;
  }
}

/**
 * After an accepted TOTP code: remembers its step, and re-seals the secret under the current key
 * when it was sealed under an older one (key rotation). Guarded by the ciphertext it read, so a
 * re-enrolment in between is not overwritten.
 */
async function recordAcceptedStep(deps: AuthDeps, factor: MfaFactorDoc, accepted: { step: number; plainSecret: string }, extra: Partial<MfaFactorDoc> = {}) {
  const reseal = deps.mfaKeys.isCurrent(factor.secret) ? {} : { secret: deps.mfaKeys.seal(accepted.plainSecret, factor._id) };
  return deps.mfa.factors.updateOne(
    { _id: factor._id, status: factor.status, 'secret.ciphertext': factor.secret.ciphertext },
    { $set: { lastStep: accepted.step, ...reseal, ...extra } },
  );
}

/** POST /auth/mfa/confirm: the first code turns the pending factor on; answers the recovery codes once. */
export async function confirm(deps: AuthDeps, userId: string, code: string, now = new Date()): Promise<{ enabled: true; recoveryCodes: string[] }> {
  const factor = await deps.mfa.factors.findById(userId).lean<MfaFactorDoc>();
  if (!factor) throw new ConflictError('Enrol first: POST /auth/mfa/enroll');
  if (factor.status === 'enabled') throw new ConflictError('Two-factor sign-in is already enabled');
  const check = isTotpCode(code) ? await useTotp(deps, factor, code, now) : ({ ok: false, reason: 'wrong' } as const);
  if (!check.ok) throw new ValidationError('The code is wrong or was used already', { 'body.code': ['is not the current code of your authenticator'] });
  const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  const result = await recordAcceptedStep(deps, factor, check, {
    status: 'enabled',
    recoveryCodeHashes: recoveryCodes.map(recoveryCodeHash),
    enabledAt: now,
  });
  if (result.modifiedCount !== 1) throw new ConflictError('The enrolment changed meanwhile: enrol again');
  return { enabled: true, recoveryCodes };
}

/** The user's factor when MFA is on (login asks for a second factor then). */
export async function enabledFactorOf(deps: AuthDeps, userId: string): Promise<MfaFactorDoc | undefined> {
  const factor = await deps.mfa.factors.findById(userId).lean<MfaFactorDoc>();
  return factor?.status === 'enabled' ? factor : undefined;
}

/**
 * A TOTP code or a recovery code of an enabled factor; wrong ones count toward the account's
 * brute-force lock like wrong passwords (the throttle is checked first).
 */
async function proveSecondFactor(
  deps: AuthDeps,
  throttle: LoginThrottle,
  user: CredentialDoc,
  factor: MfaFactorDoc,
  input: { code?: string; recoveryCode?: string },
  origin: RequestOrigin,
  now: Date,
): Promise<boolean> {
  await throttle.assertMayTry(user.email, origin.ip);
  let accepted = false;
  if (input.code !== undefined && isTotpCode(input.code)) {
    const check = await useTotp(deps, factor, input.code, now);
    if (check.ok) {
      await recordAcceptedStep(deps, factor, check);
      accepted = true;
    }
  } else {
    const recovery = input.recoveryCode ?? input.code;
    if (recovery !== undefined) accepted = await useRecoveryCode(deps, factor, recovery, now);
  }
  if (!accepted) await throttle.recordFailure(user.email, origin.ip);
  return accepted;
}

/** POST /auth/mfa/disable: a current TOTP code or a recovery code turns MFA off. */
export async function disable(deps: AuthDeps, throttle: LoginThrottle, userId: string, code: string, origin: RequestOrigin, now = new Date()) {
  const factor = await enabledFactorOf(deps, userId);
  if (!factor) throw new ConflictError('Two-factor sign-in is not enabled');
  const user = await accountOf(deps, userId);
  if (!(await proveSecondFactor(deps, throttle, user, factor, { code }, origin, now))) {
    throw new ValidationError('The code is wrong or was used already', { 'body.code': ['is neither a current code of your authenticator nor an unused recovery code'] });
  }
  await deps.mfa.factors.deleteOne({ _id: userId, status: 'enabled' });
  await deps.mfa.recoveryUses.deleteMany({ userId });
  return { enabled: false as const };
}

export interface MfaChallenge {
  mfaRequired: true;
  challengeToken: string;
  /** Seconds the challenge can be answered in. */
  expiresIn: number;
}

/** The login answer for a user with MFA: a short-lived challenge instead of tokens. */
export async function issueChallenge(deps: AuthDeps, userId: string, now = new Date()): Promise<MfaChallenge> {
  const challengeToken = randomBytes(32).toString('base64url');
  const ttlS = deps.config.MFA_CHALLENGE_TTL_S;
  await deps.mfa.challenges.create({ _id: sha256(challengeToken), userId, createdAt: now, expiresAt: new Date(now.getTime() + ttlS * 1000) });
  return { mfaRequired: true, challengeToken, expiresIn: ttlS };
}

const INVALID_CHALLENGE = 'The sign-in challenge is invalid, used or expired: sign in again';

/**
 * POST /auth/mfa/verify: the second step of a login with MFA. A right code uses the challenge up
 * (unique insert: it works once) and answers the normal login tokens; a wrong one counts toward
 * the account's lock and leaves the challenge for another try until it expires.
 */
export async function verifyChallenge(
  deps: AuthDeps,
  throttle: LoginThrottle,
  input: { challengeToken: string; code?: string; recoveryCode?: string },
  origin: RequestOrigin,
  now = new Date(),
): Promise<TokenAnswer> {
  if ((input.code === undefined) === (input.recoveryCode === undefined)) {
    throw new ValidationError('Send either code or recoveryCode', { body: ['must have exactly one of code, recoveryCode'] });
  }
  const hash = sha256(input.challengeToken);
  const challenge = await deps.mfa.challenges.findById(hash).lean();
  if (!challenge || challenge.expiresAt.getTime() <= now.getTime()) throw new AuthenticationError(INVALID_CHALLENGE);
  if (await deps.mfa.challengeUses.exists({ _id: hash })) throw new AuthenticationError(INVALID_CHALLENGE);
  const user = await deps.credentials.findById(challenge.userId).select({ outbox: 0 }).lean<CredentialDoc>();
  const factor = user ? await enabledFactorOf(deps, user._id) : undefined;
  if (!user || !factor) throw new AuthenticationError(INVALID_CHALLENGE);
  if (!(await proveSecondFactor(deps, throttle, user, factor, input, origin, now))) {
    throw new AuthenticationError('The code is wrong or was used already', { reason: 'MFA_CODE_INVALID' });
  }
  try {
    await deps.mfa.challengeUses.create({ _id: hash, userId: user._id, usedAt: now, expiresAt: challenge.expiresAt });
  } catch (error) {
    if (isDuplicateKeyError(error)) throw new AuthenticationError(INVALID_CHALLENGE);
    throw error;
  }
  await throttle.recordSuccess(user.email);
  if (user.status === 'suspended') throw new AuthorizationError('This account is suspended', { reason: 'suspended' });
  return openSession(deps, user, 'password', origin, now);
}

/** Housekeeping: expired challenges and markers go; secrets sealed under an old key are re-sealed. */
export async function mfaHousekeeping(deps: AuthDeps, now = new Date()): Promise<{ resealed: number }> {
  await Promise.all([
    deps.mfa.challenges.deleteMany({ expiresAt: { $lt: now } }),
    deps.mfa.challengeUses.deleteMany({ expiresAt: { $lt: now } }),
    deps.mfa.stepUses.deleteMany({ expiresAt: { $lt: now } }),
  ]);
  return { resealed: await resealMfaSecrets(deps) };
}

/** Re-seals every TOTP secret not under the current key (after a key was put first in MFA_ENCRYPTION_KEYS). */
export async function resealMfaSecrets(deps: AuthDeps, batch = 500): Promise<number> {
  const stale = await deps.mfa.factors.find({ 'secret.keyId': { $ne: deps.mfaKeys.currentId } }).limit(batch).lean<MfaFactorDoc[]>();
  let resealed = 0;
  for (const factor of stale) {
    const plain = deps.mfaKeys.open(factor.secret, factor._id);
    const result = await deps.mfa.factors.updateOne(
      { _id: factor._id, 'secret.ciphertext': factor.secret.ciphertext },
      { $set: { secret: deps.mfaKeys.seal(plain, factor._id) } },
    );
    resealed += result.modifiedCount;
  }
  return resealed;
}

/**
 * At start: every key id a stored secret names must be in MFA_ENCRYPTION_KEYS, so a key dropped
 * from the list too early stops the start with a message naming it, not the affected users' logins.
 */
export async function assertMfaKeysCover(deps: AuthDeps): Promise<void> {
  const stored = (await deps.mfa.factors.distinct('secret.keyId')) as string[];
  const missing = stored.filter((keyId) => !deps.mfaKeys.has(keyId));
  if (missing.length > 0) {
    throw new Error(`MFA_ENCRYPTION_KEYS lacks key ${missing.join(', ')}, which stored TOTP secrets are sealed with: keep it listed (after the current key) until they are re-sealed`);
  }
}
