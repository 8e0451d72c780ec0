import type { FastifyInstance } from 'fastify';
import { callerOf, ok } from '@foodxchange/service-kit';
import { PreferencesEnvelope, PreferencesPatchSchema, type PreferencesPatch } from './schemas.js';
import { getPreferences, updatePreferences, type PreferencesDeps } from './service.js';

/** The caller's own preferences only. */
export default async function preferenceRoutes(app: FastifyInstance, deps: PreferencesDeps) {
  const access = { permission: 'notification:read' } as const;
  app.get(
    '/preferences',
    {
      config: { access },
      schema: {
        tags: ['notifications'],
        summary: "The caller's notification preferences: e-mail on or off per type (every e-mail on by default)",
        response: { 200: PreferencesEnvelope },
      },
    },
    async (request) => ok(await getPreferences(deps.preferences, callerOf(request).userId)),
  );

  app.patch(
    '/preferences',
    {
      config: { access },
      schema: {
        tags: ['notifications'],
        summary: 'Turns e-mail on or off for the types given (the others stay as they are)',
        body: PreferencesPatchSchema,
        response: { 200: PreferencesEnvelope },
      },
    },
    async (request) => ok(await updatePreferences(deps, callerOf(request).userId, request.body as PreferencesPatch)),
  );
}
