import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { TOPICS, permissionsOf, type Role } from '@foodxchange/contracts';
import { AuthenticationError, isDuplicateKeyError, stageEvent } from '@foodxchange/service-kit';
import type { AuthDeps, RequestOrigin } from '../deps.js';
import type { CredentialDoc } from '../credentials/model.js';
import type { FamilyDoc } from './model.js';

/** The user part of every token answer (DESIGN.md's register/login payload). */
export interface UserSummary {
  id: string;
  email: string;
  role: Role;
  companyId?: string;
}

export interface TokenAnswer {
  user: UserSummary;
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  /** Seconds the access token is valid for. */
  expiresIn: number;
  refreshExpiresIn: number;
}

export function summaryOf(user: Pick<CredentialDoc, '_id' | 'email' | 'role' | 'companyId'>): UserSummary {
  return { id: user._id, email: user.email, role: user.role, ...(user.companyId ? { companyId: user.companyId } : {}) };
}

/** Only the SHA-256 of a refresh token is stored: a stolen database yields no usable token. */
export function refreshTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** An RS256 access token for the user; `sid` names its token family (logout revokes it). */
export async function mintAccessToken(deps: AuthDeps, user: CredentialDoc, familyId: string): Promise<string> {
  const { token } = await deps.keys.sign({
    sub: user._id,
    role: user.role,
    ...(user.companyId ? { companyId: user.companyId } : {}),
    permissions: permissionsOf(user.role),
    jti: randomUUID(),
    sid: familyId,
  });
  return token;
}

async function issueRefreshToken(deps: AuthDeps, family: Pick<FamilyDoc, '_id' | 'userId' | 'expiresAt'>, now: Date): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await deps.sessions.tokens.create({
    _id: refreshTokenHash(token),
    familyId: family._id,
    userId: family.userId,
    issuedAt: now,
    expiresAt: new Date(Math.min(now.getTime() + deps.config.REFRESH_TOKEN_TTL_S * 1000, family.expiresAt.getTime())),
  });
  return token;
}

async function answer(deps: AuthDeps, user: CredentialDoc, familyId: string, refreshToken: string): Promise<TokenAnswer> {
  return {
    user: summaryOf(user),
    accessToken: await mintAccessToken(deps, user, familyId),
    refreshToken,
    tokenType: 'Bearer',
    expiresIn: deps.config.ACCESS_TOKEN_TTL_S,
    refreshExpiresIn: deps.config.REFRESH_TOKEN_TTL_S,
  };
}

/**
 * Starts a token family for a user who has proven who they are, and hands out its first tokens.
 * A password login stages its `user.logged-in` in the family's own insert. This is the one place
 * tokens come from after a login: a second factor gates the call, not the token code.
 */
export async function openSession(
  deps: AuthDeps,
  user: CredentialDoc,
  method: FamilyDoc['method'],
  origin: RequestOrigin,
  now = new Date(),
): Promise<TokenAnswer> {
  const family = new deps.sessions.families({
    _id: randomUUID(),
    userId: user._id,
    method,
    createdAt: now,
    expiresAt: new Date(now.getTime() + deps.config.SESSION_MAX_AGE_S * 1000),
  });
  if (method === 'password') {
    stageEvent(
      family,
      TOPICS.userLoggedIn,
      user._id,
      {
        userId: user._id,
        email: user.email,
        role: user.role,
        ...(user.companyId ? { companyId: user.companyId } : {}),
        method: 'password',
        ...(origin.ip ? { ip: origin.ip.slice(0, 64) } : {}),
        ...(origin.userAgent ? { userAgent: origin.userAgent.slice(0, 1000) } : {}),
        loggedInAt: now.toISOString(),
      },
      origin.context,
    );
  }
  await family.save();
  if (method === 'password') deps.published();
  const refreshToken = await issueRefreshToken(deps, family, now);
  return answer(deps, user, family._id, refreshToken);
}

const INVALID_REFRESH = 'The refresh token is invalid or has expired: sign in again';

/**
 * Rotates a refresh token: the presented one is used up, a new one of the same family is handed
 * out. Use is recorded by a unique insert, so of two concurrent uses exactly one wins; the other,
 * like any later use of a rotated token, is reuse (a stolen token, or its owner racing the thief)
 * and revokes the whole family: every token of that sign-in, the newest included.
 */
export async function rotateRefreshToken(deps: AuthDeps, presented: string, now = new Date()): Promise<TokenAnswer> {
  const hash = refreshTokenHash(presented);
  const token = await deps.sessions.tokens.findById(hash).lean();
  if (!token || token.expiresAt.getTime() <= now.getTime()) throw new AuthenticationError(INVALID_REFRESH);
  const family = await deps.sessions.families.findById(token.familyId).select({ outbox: 0 }).lean();
  if (!family || family.revokedAt || family.expiresAt.getTime() <= now.getTime()) throw new AuthenticationError(INVALID_REFRESH);
  try {
    await deps.sessions.consumptions.create({ _id: hash, familyId: token.familyId, consumedAt: now, expiresAt: token.expiresAt });
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    await revokeFamily(deps, token.familyId, 'refresh token reused');
    throw new AuthenticationError('The refresh token was already used: every session of that sign-in has been revoked, sign in again', {
      reason: 'REFRESH_TOKEN_REUSED',
    });
  }
  const user = await deps.credentials.findById(token.userId).select({ outbox: 0 }).lean<CredentialDoc>();
  if (!user || user.status !== 'active') {
    await revokeFamily(deps, token.familyId, 'account not active');
    throw new AuthenticationError(INVALID_REFRESH);
  }
  const refreshToken = await issueRefreshToken(deps, family, now);
  return answer(deps, user, token.familyId, refreshToken);
}

/** The family a refresh token belongs to, if it is one of this user's. */
export async function familyOfRefreshToken(deps: AuthDeps, presented: string, userId: string): Promise<string | undefined> {
  const token = await deps.sessions.tokens.findById(refreshTokenHash(presented)).lean();
  return token && token.userId === userId ? token.familyId : undefined;
}

export async function revokeFamily(deps: AuthDeps, familyId: string, reason: string, now = new Date()): Promise<void> {
  await deps.sessions.families.updateOne({ _id: familyId, revokedAt: null }, { $set: { revokedAt: now, revokedReason: reason } });
}

/** Every live family of a user (suspension). */
export async function revokeAllFamilies(deps: AuthDeps, userId: string, reason: string, now = new Date()): Promise<number> {
  const result = await deps.sessions.families.updateMany({ userId, revokedAt: null }, { $set: { revokedAt: now, revokedReason: reason } });
  return result.modifiedCount;
}

/** Removes what expired (a field plus a job: no TTL indexes on FerretDB). */
export async function removeExpiredSessions(deps: AuthDeps, now = new Date()): Promise<void> {
  await Promise.all([
    deps.sessions.tokens.deleteMany({ expiresAt: { $lt: now } }),
    deps.sessions.consumptions.deleteMany({ expiresAt: { $lt: now } }),
    // A day after the sign-in ended: its login event has long been published.
    deps.sessions.families.deleteMany({ expiresAt: { $lt: new Date(now.getTime() - 24 * 3600 * 1000) } }),
  ]);
}
