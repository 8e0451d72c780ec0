import { Schema, type Connection, type Model } from 'mongoose';
import { outboxPlugin, type OutboxFields } from '@foodxchange/service-kit';

export const USER_STATUSES = ['active', 'suspended'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/**
 * The admin console's copy of a user account (from `user.registered`), with its suspension state.
 * A suspension or its lifting and the event announcing it are one save of this document.
 */
export interface AdminUserDoc extends OutboxFields {
  _id: string;
  email: string;
  name: string;
  role: string;
  companyId?: string;
  registeredAt: Date;
  status: UserStatus;
  /** Last change of status: who, why, when. */
  statusChange?: { reason: string; by: string; at: Date };
  version: number;
  lockToken?: number;
}

const AdminUserSchema = new Schema<AdminUserDoc>(
  {
    _id: { type: String, required: true },
    email: { type: String, required: true },
    name: { type: String, required: true },
    role: { type: String, required: true },
    companyId: String,
    registeredAt: { type: Date, required: true },
    status: { type: String, enum: USER_STATUSES, required: true },
    statusChange: {
      type: new Schema({ reason: String, by: String, at: Date }, { _id: false }),
      default: undefined,
    },
    version: { type: Number, required: true },
    lockToken: Number,
  },
  { collection: 'users', versionKey: false },
);
AdminUserSchema.plugin(outboxPlugin);

export type AdminUserModel = Model<AdminUserDoc>;

export function adminUserModel(connection: Connection): AdminUserModel {
  return (connection.models.AdminUser as AdminUserModel | undefined) ?? connection.model<AdminUserDoc>('AdminUser', AdminUserSchema);
}
