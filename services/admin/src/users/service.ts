import { TOPICS, isAdminRole, type FoodXchangeEvent } from '@foodxchange/contracts';
import {
  AuthorizationError,
  ConflictError,
  NotFoundError,
  isDuplicateKeyError,
  stageEvent,
  type AggregateLocks,
  type EventContext,
  type Identity,
} from '@foodxchange/service-kit';
import type { AdminUserDoc, AdminUserModel } from './model.js';

export interface AdminUserView {
  id: string;
  email: string;
  name: string;
  role: string;
  companyId?: string;
  registeredAt: string;
  status: AdminUserDoc['status'];
  statusChange?: { reason: string; by: string; at: string };
  version: number;
}

export function toUserView(doc: AdminUserDoc): AdminUserView {
  return {
    id: doc._id,
    email: doc.email,
    name: doc.name,
    role: doc.role,
    ...(doc.companyId ? { companyId: doc.companyId } : {}),
    registeredAt: doc.registeredAt.toISOString(),
    status: doc.status,
    ...(doc.statusChange
      ? { statusChange: { reason: doc.statusChange.reason, by: doc.statusChange.by, at: doc.statusChange.at.toISOString() } }
      : {}),
    version: doc.version,
  };
}

/** `user.registered` → the account appears in the console (one insert; a redelivery is a no-op). */
export async function recordRegisteredUser(users: AdminUserModel, event: FoodXchangeEvent<'user.registered'>): Promise<void> {
  const { userId, email, name, role, companyId, registeredAt } = event.data;
  try {
    await users.create({
      _id: userId,
      email,
      name,
      role,
      ...(companyId ? { companyId } : {}),
      registeredAt: new Date(registeredAt ?? event.time),
      status: 'active',
      version: 1,
    });
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }
}

export interface UserDeps {
  users: AdminUserModel;
  locks: AggregateLocks;
  published: () => void;
}

export async function getUser(users: AdminUserModel, id: string): Promise<AdminUserView> {
  const doc = await users.findById(id).select({ outbox: 0 }).lean<AdminUserDoc>();
  if (!doc) throw new NotFoundError(`User ${id}`);
  return toUserView(doc);
}

/**
 * Suspends or reinstates a user: the status change and its event are one fenced save, under the
 * user's lock (two admins acting at once: one wins, the other gets the 409 of the new state).
 * Only a super_admin may act on another admin, and nobody on themselves.
 */
export async function changeStatus(
  deps: UserDeps,
  id: string,
  target: 'suspended' | 'active',
  actor: Identity,
  reason: string,
  context: EventContext,
  now = new Date(),
): Promise<AdminUserView> {
  if (actor.userId === id) throw new ConflictError('You cannot suspend or reinstate yourself');
  const view = await deps.locks.withLock(`user:${id}`, async (lock) => {
    const doc = await deps.users.findById(id);
    if (!doc) throw new NotFoundError(`User ${id}`);
    if (isAdminRole(doc.role) && actor.role !== 'super_admin') {
      throw new AuthorizationError('Only a super_admin may suspend or reinstate an admin');
    }
    if (doc.status === target) {
      throw new ConflictError(target === 'suspended' ? 'The user is already suspended' : 'The user is not suspended', { status: doc.status });
    }
    doc.status = target;
    doc.statusChange = { reason, by: actor.userId, at: now };
    doc.version += 1;
    const identity = { userId: doc._id, email: doc.email, ...(doc.companyId ? { companyId: doc.companyId } : {}), reason };
    if (target === 'suspended') {
      stageEvent(doc, TOPICS.userSuspended, doc._id, { ...identity, suspendedBy: actor.userId, suspendedAt: now.toISOString(), until: null }, context);
    } else {
      stageEvent(doc, TOPICS.userUnsuspended, doc._id, { ...identity, unsuspendedBy: actor.userId, unsuspendedAt: now.toISOString() }, context);
    }
    await lock.save(doc);
    return toUserView(doc.toObject());
  });
  deps.published();
  return view;
}
