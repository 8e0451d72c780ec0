import { Type, type Static } from '@sinclair/typebox';
import { Envelope } from '@foodxchange/service-kit';
import { NOTIFICATION_TYPES } from '../notifications/plan.js';

const typeFlags = (optional: boolean) =>
  Type.Object(
    Object.fromEntries(NOTIFICATION_TYPES.map((type) => [type, optional ? Type.Optional(Type.Boolean()) : Type.Boolean()])),
    { additionalProperties: false, description: 'Per notification type: whether it is also sent by e-mail (in-app notifications are always kept)' },
  );

export const PreferencesSchema = Type.Object({
  email: typeFlags(false),
  updatedAt: Type.Optional(Type.String({ format: 'date-time', description: 'Absent while the defaults (every e-mail on) apply' })),
});
export type PreferencesView = Static<typeof PreferencesSchema>;

export const PreferencesPatchSchema = Type.Object(
  { email: typeFlags(true) },
  { additionalProperties: false, description: 'The types to change; the others stay as they are' },
);
export type PreferencesPatch = { email: Partial<Record<(typeof NOTIFICATION_TYPES)[number], boolean>> };

export const PreferencesEnvelope = Envelope(PreferencesSchema);
