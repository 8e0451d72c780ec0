import type { FastifyInstance } from 'fastify';
import { isAdminRole } from '@foodxchange/contracts';
import { AuthorizationError, callerOf, ok, paged } from '@foodxchange/service-kit';
import { AdminUserEnvelope, AdminUserListEnvelope, UpdateMeBodySchema, UserListQuerySchema, type UserListQuery, UserParamsSchema, UserProfileEnvelope, type UpdateMeBody } from './schemas.js';
import { getMe, getUserForAdmin, listUsersForAdmin, updateMe, type UserDeps } from './service.js';

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
    '/users',
    {
      config: { access: { permission: 'user:manage' } },
      // E-mail addresses of every user: platform admins only, whatever a token might carry.
      preValidation: async (request) => {
        if (!isAdminRole(callerOf(request).role)) throw new AuthorizationError('Only platform admins list users');
      },
      schema: {
        tags: ['users'],
        summary: 'Registered users, newest first (platform admins): search by e-mail or name, filter by role, company and status',
        querystring: UserListQuerySchema,
        response: { 200: AdminUserListEnvelope },
      },
    },
    async (request) => {
      const query = request.query as UserListQuery;
      const { items, total } = await listUsersForAdmin(deps, query);
      return paged(items, { page: query.page, limit: query.limit, total });
    },
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
