import type { FastifyInstance } from 'fastify';
import type { EventHandlerContext } from '@foodxchange/service-kit';
import type { FoodXchangeEvent } from '@foodxchange/contracts';
import { companyModel } from '../companies/model.js';
import { companyTypeFor, createCompany } from '../companies/service.js';
import { userProfileModel } from './model.js';
import { applyStatus, createProfile, type UserDeps } from './service.js';

function depsOf(app: FastifyInstance): UserDeps {
  return { profiles: userProfileModel(app.mongo), companies: companyModel(app.mongo), locks: app.locks };
}

/**
 * `user.registered` → the company (buyers and suppliers; with its `company.created`) and then
 * the profile. Company first: once the profile exists, so does its company, so GET /users/me
 * never shows a user without the company they registered with. Every write is an insert keyed by
 * the event's ids, so a redelivery (or two replicas) change nothing the second time.
 */
export async function onUserRegistered(event: FoodXchangeEvent<'user.registered'>, { app }: EventHandlerContext): Promise<void> {
  const data = event.data;
  const deps = depsOf(app);
  const registeredAt = new Date(data.registeredAt ?? event.time);
  if (data.companyId && data.company) {
    const created = await createCompany(
      { companies: deps.companies, profiles: deps.profiles, locks: deps.locks },
      {
        companyId: data.companyId,
        name: data.company.name,
        country: data.company.country,
        type: companyTypeFor(data.role, data.company.type),
        founder: { userId: data.userId, role: data.role },
        at: registeredAt,
      },
      app.events.context(undefined, event.correlationid),
    );
    if (created) app.events.published();
  }
  await createProfile(deps, {
    userId: data.userId,
    email: data.email,
    name: data.name,
    role: data.role,
    ...(data.companyId && data.company ? { companyId: data.companyId } : {}),
    registeredAt,
  });
}

export async function onUserSuspended(event: FoodXchangeEvent<'user.suspended'>, { app }: EventHandlerContext): Promise<void> {
  const { userId, reason, suspendedBy, suspendedAt, until } = event.data;
  await applyStatus(depsOf(app), {
    userId,
    status: 'suspended',
    at: new Date(suspendedAt),
    suspension: { reason, by: suspendedBy, ...(until ? { until: new Date(until) } : {}) },
  });
}

export async function onUserUnsuspended(event: FoodXchangeEvent<'user.unsuspended'>, { app }: EventHandlerContext): Promise<void> {
  await applyStatus(depsOf(app), { userId: event.data.userId, status: 'active', at: new Date(event.data.unsuspendedAt) });
}
