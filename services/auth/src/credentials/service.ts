import { randomUUID } from 'node:crypto';
import { TOPICS, type Role } from '@foodxchange/contracts';
import { ConflictError, ValidationError, isDuplicateKeyError, stageEvent, type EventContext } from '@foodxchange/service-kit';
import type { AuthDeps, RequestOrigin } from '../deps.js';
import { openSession, type TokenAnswer } from '../sessions/service.js';
import { normaliseEmail, type CredentialDoc } from './model.js';
import { passwordProblems } from './passwords.js';

export interface RegisterInput {
  email: string;
  password: string;
  name: string;
  role: 'buyer' | 'supplier';
  company: { name: string; country: string };
}

/**
 * POST /auth/register: a buyer or supplier account and its company. The auth service mints both
 * ids; the credentials and `user.registered` (which the user service builds the profile and the
 * company from) are one insert. A second account for an address is refused by the unique index.
 */
export async function register(deps: AuthDeps, input: RegisterInput, origin: RequestOrigin, now = new Date()): Promise<TokenAnswer> {
  const email = normaliseEmail(input.email);
  const problems = passwordProblems(input.password, email);
  if (problems.length > 0) throw new ValidationError('The password is not strong enough', { 'body.password': problems });
  const passwordHash = await deps.hasher.hash(input.password);
  const user = new deps.credentials({
    _id: randomUUID(),
    email,
    name: input.name.trim(),
    role: input.role,
    companyId: randomUUID(),
    passwordHash,
    status: 'active',
    statusChangedAt: now,
    createdAt: now,
  });
  stageEvent(
    user,
    TOPICS.userRegistered,
    user._id,
    {
      userId: user._id,
      email,
      name: user.name,
      role: input.role,
      companyId: user.companyId!,
      company: { name: input.company.name.trim(), country: input.company.country, type: input.role },
      registeredAt: now.toISOString(),
    },
    origin.context,
  );
  try {
    await user.save();
  } catch (error) {
    if (isDuplicateKeyError(error)) {
      throw new ConflictError('An account with this e-mail address exists already', { field: 'body.email' });
    }
    throw error;
  }
  deps.published();
  return openSession(deps, user.toObject() as CredentialDoc, 'registration', origin, now);
}

/**
 * The first super admin from ADMIN_EMAIL / ADMIN_PASSWORD. Idempotent across restarts and
 * replicas: the unique e-mail index lets one insert (and so one `user.registered`) win; an
 * existing account is left as it is (its password may have been changed since).
 */
export async function ensureBootstrapAdmin(
  deps: AuthDeps,
  admin: { email: string; password: string },
  context: EventContext,
  now = new Date(),
): Promise<'created' | 'exists'> {
  const email = normaliseEmail(admin.email);
  if (await deps.credentials.exists({ email })) return 'exists';
  const role: Role = 'super_admin';
  const user = new deps.credentials({
    _id: randomUUID(),
    email,
    name: 'Platform administrator',
    role,
    passwordHash: await deps.hasher.hash(admin.password),
    status: 'active',
    statusChangedAt: now,
    createdAt: now,
  });
  stageEvent(user, TOPICS.userRegistered, user._id, { userId: user._id, email, name: user.name, role, registeredAt: now.toISOString() }, context);
  try {
    await user.save();
  } catch (error) {
    if (isDuplicateKeyError(error)) return 'exists';
    throw error;
  }
  deps.published();
  return 'created';
}
