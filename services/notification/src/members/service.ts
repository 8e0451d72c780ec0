import type { AggregateLocks } from '@foodxchange/service-kit';
import type { MemberDoc, MemberModel } from './model.js';

export interface MemberDeps {
  members: MemberModel;
  locks: AggregateLocks;
}

export const memberLockKey = (userId: string) => `notification-member:${userId}`;

/** What one user event says about a user; absent parts are unknown to it and stay as they are. */
export interface MemberFacts {
  profile?: { email: string; name: string; role: string; companyId?: string };
  /** A suspension (true) or its lifting (false), at the time the event gives. */
  suspension?: { suspended: boolean; at: Date };
}

/** Applies an event's facts to the user's entry (creating it), under its lock. */
export async function applyMemberFacts(deps: MemberDeps, userId: string, facts: MemberFacts): Promise<void> {
  await deps.locks.withLock(memberLockKey(userId), async (lock) => {
    const now = new Date();
    const doc =
      (await deps.members.findById(userId)) ??
      new deps.members({ _id: userId, registered: false, suspended: false, suspensionAt: null, updatedAt: now });
    let dirty = doc.isNew;
    if (facts.profile) {
      const { email, name, role, companyId } = facts.profile;
      if (!doc.registered || doc.email !== email || doc.name !== name || doc.role !== role || doc.companyId !== companyId) {
        doc.set({ email, name, role, companyId, registered: true });
        dirty = true;
      }
    }
    const { suspension } = facts;
    if (suspension && (doc.suspensionAt === null || doc.suspensionAt.getTime() < suspension.at.getTime())) {
      doc.suspended = suspension.suspended;
      doc.suspensionAt = suspension.at;
      dirty = true;
    }
    if (!dirty) return;
    doc.updatedAt = now;
    await lock.save(doc);
  });
}

/**
 * The users who act for the companies, as (company id → users) in the order asked. Suspended users
 * are left out: they may no longer act for their company, so its business is no longer theirs.
 */
export async function membersOfCompanies(members: MemberModel, companyIds: readonly string[]): Promise<Map<string, MemberDoc[]>> {
  const unique = [...new Set(companyIds)];
  const found = new Map<string, MemberDoc[]>(unique.map((id) => [id, []]));
  if (unique.length === 0) return found;
  const docs = await members
    .find({ companyId: { $in: unique }, registered: true, suspended: false })
    .sort({ _id: 1 })
    .lean<MemberDoc[]>();
  for (const doc of docs) found.get(doc.companyId!)?.push(doc);
  return found;
}

export async function findMembers(members: MemberModel, userIds: readonly string[]): Promise<Map<string, MemberDoc>> {
  if (userIds.length === 0) return new Map();
  const docs = await members.find({ _id: { $in: [...new Set(userIds)] } }).lean<MemberDoc[]>();
  return new Map(docs.map((doc) => [doc._id, doc]));
}
