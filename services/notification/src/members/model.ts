import { Schema, type Connection, type Model } from 'mongoose';

/**
 * The notification service's read model of who acts for which company (`_id` = user id), built
 * only from the auth and admin services' user events: `user.registered` says who the user is and
 * the company they act for, `user.suspended` / `user.unsuspended` whether they may be told about
 * their company's business. `suspensionAt` is the time of the suspension event applied last, so a
 * late or redelivered older one cannot undo a newer one. Written under the lock
 * `notification-member:<id>` (the two kinds of event travel on different topics, concurrently).
 */
export interface MemberDoc {
  _id: string;
  /** Absent until user.registered arrived (a suspension may be consumed first). */
  email?: string;
  name?: string;
  role?: string;
  companyId?: string;
  registered: boolean;
  suspended: boolean;
  suspensionAt: Date | null;
  updatedAt: Date;
}

const MemberSchema = new Schema<MemberDoc>(
  {
    _id: { type: String, required: true },
    email: String,
    name: String,
    role: String,
    companyId: { type: String, index: true },
    registered: { type: Boolean, required: true, default: false },
    suspended: { type: Boolean, required: true, default: false },
    suspensionAt: { type: Date, default: null },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'members', versionKey: false },
);

export type MemberModel = Model<MemberDoc>;

export function memberModel(connection: Connection): MemberModel {
  return (connection.models.Member as MemberModel) ?? connection.model<MemberDoc>('Member', MemberSchema);
}
