import { Schema, type Connection, type Model } from 'mongoose';
import type { Role } from '@foodxchange/contracts';

export const USER_STATUSES = ['active', 'suspended'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/**
 * A user's profile, `_id` = the user id auth minted. Created by the unique insert of the
 * `user.registered` consumer; edited by its owner and by the suspension events under the kit's
 * aggregate lock (`user:<id>`), because FerretDB keeps only one of two concurrent updates.
 *
 * A suspension event can be consumed before the registration (they travel on different topics):
 * it then leaves a placeholder (`registered: false`, status only) that the registration fills in.
 */
export interface UserProfileDoc {
  _id: string;
  registered: boolean;
  email?: string;
  name?: string;
  role?: Role;
  companyId?: string;
  phone?: string;
  jobTitle?: string;
  locale?: string;
  status: UserStatus;
  /** Time of the suspension event applied last: an older event arriving late changes nothing. */
  statusChangedAt?: Date;
  suspension?: { reason: string; by: string; at: Date; until?: Date };
  registeredAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}

const SuspensionSchema = new Schema(
  { reason: { type: String, required: true }, by: { type: String, required: true }, at: { type: Date, required: true }, until: Date },
  { _id: false },
);

const UserProfileSchema = new Schema<UserProfileDoc>(
  {
    _id: { type: String, required: true },
    registered: { type: Boolean, required: true },
    email: String,
    name: String,
    role: String,
    companyId: { type: String, index: true },
    phone: String,
    jobTitle: String,
    locale: String,
    status: { type: String, required: true, enum: USER_STATUSES, default: 'active' },
    statusChangedAt: Date,
    suspension: { type: SuspensionSchema, default: undefined },
    registeredAt: Date,
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'user_profiles', versionKey: false },
);

export type UserProfileModel = Model<UserProfileDoc>;

export function userProfileModel(connection: Connection): UserProfileModel {
  return (connection.models.UserProfile as UserProfileModel) ?? connection.model<UserProfileDoc>('UserProfile', UserProfileSchema);
}

/** The aggregate lock key of a profile: every writer of an existing profile holds it. */
export const userLockKey = (userId: string) => `user:${userId}`;
