import type { FastifyInstance } from 'fastify';
import { callerOf, ok } from '@foodxchange/service-kit';
import type { AdminUserModel } from './model.js';
import { AdminUserEnvelope, StatusChangeBodySchema, UserParamsSchema, type StatusChangeBody } from './schemas.js';
import { changeStatus, getUser } from './service.js';

export default async function userRoutes(app: FastifyInstance, { users }: { users: AdminUserModel }) {
  const deps = { users, locks: app.locks, published: () => app.events.published() };

  app.get(
    '/users/:id',
    {
      config: { access: { permission: 'user:manage' } },
      schema: { tags: ['users'], summary: 'A user account and its suspension state', params: UserParamsSchema, response: { 200: AdminUserEnvelope } },
    },
    async (request) => ok(await getUser(users, (request.params as { id: string }).id)),
  );

  for (const [action, target] of [
    ['suspend', 'suspended'],
    ['unsuspend', 'active'],
  ] as const) {
    app.post(
      `/users/:id/${action}`,
      {
        config: { access: { permission: 'user:manage' } },
        schema: {
          tags: ['users'],
          summary:
            action === 'suspend'
              ? 'Suspend a user: publishes user.suspended (auth revokes their sessions; their next request fails)'
              : 'Lift a suspension: publishes user.unsuspended (the user may sign in again)',
          params: UserParamsSchema,
          body: StatusChangeBodySchema,
          response: { 200: AdminUserEnvelope },
        },
      },
      async (request) => {
        const { id } = request.params as { id: string };
        const { reason } = request.body as StatusChangeBody;
        return ok(await changeStatus(deps, id, target, callerOf(request), reason, app.events.context(request)));
      },
    );
  }
}
