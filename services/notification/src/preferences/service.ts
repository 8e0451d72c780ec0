import type { AggregateLocks } from '@foodxchange/service-kit';
import { NOTIFICATION_TYPES, type NotificationType } from '../notifications/plan.js';
import type { PreferencesDoc, PreferencesModel } from './model.js';
import type { PreferencesPatch, PreferencesView } from './schemas.js';

export interface PreferencesDeps {
  preferences: PreferencesModel;
  locks: AggregateLocks;
}

function toView(doc: Pick<PreferencesDoc, 'emailOff'> & { updatedAt?: Date }): PreferencesView {
  const off = new Set(doc.emailOff);
  return {
    email: Object.fromEntries(NOTIFICATION_TYPES.map((type) => [type, !off.has(type)])) as PreferencesView['email'],
    ...(doc.updatedAt ? { updatedAt: doc.updatedAt.toISOString() } : {}),
  };
}

export async function getPreferences(preferences: PreferencesModel, userId: string): Promise<PreferencesView> {
  const doc = await preferences.findById(userId).lean<PreferencesDoc>();
  return toView(doc ?? { emailOff: [] });
}

export async function updatePreferences(deps: PreferencesDeps, userId: string, patch: PreferencesPatch): Promise<PreferencesView> {
  return deps.locks.withLock(`notification-preferences:${userId}`, async (lock) => {
    const now = new Date();
    const doc = (await deps.preferences.findById(userId)) ?? new deps.preferences({ _id: userId, emailOff: [], updatedAt: now });
    const off = new Set(doc.emailOff);
    for (const [type, on] of Object.entries(patch.email)) {
      if (on === undefined) continue;
      if (on) off.delete(type);
      else off.add(type);
    }
    doc.set('emailOff', NOTIFICATION_TYPES.filter((type) => off.has(type)));
    doc.updatedAt = now;
    await lock.save(doc);
    return toView(doc);
  });
}

/** The users (of those given) who turned e-mail of this type off. */
export async function emailOffFor(preferences: PreferencesModel, userIds: readonly string[], type: NotificationType): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const docs = await preferences.find({ _id: { $in: [...new Set(userIds)] } }).lean<PreferencesDoc[]>();
  return new Set(docs.filter((doc) => doc.emailOff.includes(type)).map((doc) => doc._id));
}
