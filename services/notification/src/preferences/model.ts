import { Schema, type Connection, type Model } from 'mongoose';

/**
 * A user's notification preferences (`_id` = user id). Stored as the list of types whose e-mail
 * is turned off (types contain dots, which keys must not: DESIGN.md rule 5); no document = every
 * e-mail on. Written under the lock `notification-preferences:<id>`.
 */
export interface PreferencesDoc {
  _id: string;
  emailOff: string[];
  updatedAt: Date;
}

const PreferencesSchema = new Schema<PreferencesDoc>(
  {
    _id: { type: String, required: true },
    emailOff: { type: [String], default: [] },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'preferences', versionKey: false },
);

export type PreferencesModel = Model<PreferencesDoc>;

export function preferencesModel(connection: Connection): PreferencesModel {
  return (connection.models.Preferences as PreferencesModel) ?? connection.model<PreferencesDoc>('Preferences', PreferencesSchema);
}
