import type { FoodXchangeEvent } from '@foodxchange/contracts';
import type { EventHandlerContext } from '@foodxchange/service-kit';
import '../deps.js';
import { applyMemberFacts } from './service.js';

/** Consumers that keep the read model of company members (see model.ts). */
export async function onUserRegisteredMember(event: FoodXchangeEvent<'user.registered'>, context: EventHandlerContext): Promise<void> {
  const { userId, email, name, role, companyId } = event.data;
  await applyMemberFacts(context.app.notification.members, userId, { profile: { email, name, role, ...(companyId ? { companyId } : {}) } });
}

export async function onUserSuspendedMember(event: FoodXchangeEvent<'user.suspended'>, context: EventHandlerContext): Promise<void> {
  const { userId, suspendedAt } = event.data;
  await applyMemberFacts(context.app.notification.members, userId, { suspension: { suspended: true, at: new Date(suspendedAt) } });
}

export async function onUserUnsuspendedMember(event: FoodXchangeEvent<'user.unsuspended'>, context: EventHandlerContext): Promise<void> {
  const { userId, unsuspendedAt } = event.data;
  await applyMemberFacts(context.app.notification.members, userId, { suspension: { suspended: false, at: new Date(unsuspendedAt) } });
}
