import { createHash } from 'node:crypto';
import type { MemberModel } from '../members/model.js';
import { findMembers, membersOfCompanies } from '../members/service.js';
import type { Announcement } from './plan.js';

/** One user an announcement goes to. */
export interface Recipient {
  userId: string;
  companyId?: string;
  email?: string;
  name?: string;
  announcement: Announcement;
}

/** The notification id of an event for a user: the same on every redelivery. */
export function notificationIdOf(eventId: string, userId: string): string {
  return `ntf-${createHash('sha256').update(`${eventId}\n${userId}`).digest('hex').slice(0, 32)}`;
}

/**
 * The users the announcements reach: for a company, its registered and unsuspended members (and
 * nobody else); for one user, that user. A user reached twice by one event hears it once (the
 * first announcement wins).
 */
export async function recipientsOf(members: MemberModel, announcements: readonly Announcement[]): Promise<Recipient[]> {
  const companyIds = announcements.flatMap(({ audience }) => ('companyId' in audience && !('userId' in audience) ? [audience.companyId] : []));
  const userIds = announcements.flatMap(({ audience }) => ('userId' in audience ? [audience.userId] : []));
  const [byCompany, byUser] = await Promise.all([membersOfCompanies(members, companyIds), findMembers(members, userIds)]);
  const seen = new Set<string>();
  const recipients: Recipient[] = [];
  const add = (recipient: Recipient) => {
    if (seen.has(recipient.userId)) return;
    seen.add(recipient.userId);
    recipients.push(recipient);
  };
  for (const announcement of announcements) {
    const { audience } = announcement;
    if ('userId' in audience) {
      const known = byUser.get(audience.userId);
      const companyId = audience.companyId ?? known?.companyId;
      const email = audience.email ?? known?.email;
      const name = audience.name ?? known?.name;
      add({ userId: audience.userId, ...(companyId ? { companyId } : {}), ...(email ? { email } : {}), ...(name ? { name } : {}), announcement });
    } else {
      for (const member of byCompany.get(audience.companyId) ?? []) {
        add({
          userId: member._id,
          companyId: audience.companyId,
          ...(member.email ? { email: member.email } : {}),
          ...(member.name ? { name: member.name } : {}),
          announcement,
        });
      }
    }
  }
  return recipients;
}
