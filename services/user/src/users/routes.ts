import type { FastifyInstance } from 'fastify';
import { callerOf, ok } from '@foodxchange/service-kit';
import { AdminUserEnvelope, UpdateMeBodySchema, UserParamsSchema, UserProfileEnvelope, type UpdateMeBody } from './schemas.js';
import { getMe, getUserForAdmin, updateMe, type UserDeps } from './service.js';

export default async function userRoutes(app: FastifyInstance, { deps }: { deps: UserDeps }) {
  app.get(
    '/users/me',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['users'],
        summary: "The caller's profile and a summary of their company",
        description: 'A 404 right after registration means the profile is not ready yet (it is created from user.registered): retry shortly.',
        response: { 200: UserProfileEnvelope },
      },
    },
    async (request) => ok(await getMe(deps, callerOf(request).userId)),
  );

  app.patch(
    '/users/me',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['users'],
        summary: "Change the caller's name, phone, job title or locale",
        body: UpdateMeBodySchema,
        response: { 200: UserProfileEnvelope },
      },
    },
    async (request) => ok(await updateMe(deps, callerOf(request).userId, request.body as UpdateMeBody)),
  );

  app.get(
    '/users/:id',
    {
      config: { access: { permission: 'user:manage' } },
      schema: {
        tags: ['users'],
        summary: 'A user as platform admins see it: profile, status and the suspension, if any',
        params: UserParamsSchema,
        response: { 200: AdminUserEnvelope },
      },
    },
    async (request) => ok(await getUserForAdmin(deps, (request.params as { id: string }).id)),
  );
}
