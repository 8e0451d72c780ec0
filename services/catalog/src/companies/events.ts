import type { FastifyInstance } from 'fastify';
import type { EventHandlerContext } from '@foodxchange/service-kit';
import type { FoodXchangeEvent } from '@foodxchange/contracts';
import { applyCompanyFacts, applyMemberStatus, recordMemberStatus, type CompanyCopyDeps } from './service.js';
import type { CopiedCertification } from './model.js';

/**
 * Consumers of the user service's company and member events: each turns its event into facts
 * about one company (see CompanyFacts) and applies them to the catalog's copy. The kit records
 * each handled event id, so a redelivery is not handled twice; the per-aspect versions make
 * reordered events and resent ones (new ids, same version) harmless too.
 */
function depsOf(app: FastifyInstance): CompanyCopyDeps {
  return app.companyCopies.deps;
}

/** A retry may follow an attempt that changed the copy but whose listener failed: tell it again. */
const retryOptions = (context: EventHandlerContext) => ({ notifyAnyway: context.attempt > 1 });

const certificationsOf = (list: readonly CopiedCertification[]) => list.map((c) => ({ ...c }));

export async function onCompanyCreated(event: FoodXchangeEvent<'company.created'>, context: EventHandlerContext): Promise<void> {
  const data = event.data;
  const version = data.version ?? 0;
  await applyCompanyFacts(
    depsOf(context.app),
    data.companyId,
    {
      profile: {
        version,
        name: data.name,
        country: data.country,
        type: data.type,
        ...(data.marketsServed ? { marketsServed: [...data.marketsServed] } : {}),
        ...(data.categories ? { categories: [...data.categories] } : {}),
      },
      verification: { version, verified: data.verified },
      ...(data.certifications ? { certifications: { version, list: certificationsOf(data.certifications) } } : {}),
      ...(data.createdByUserId ? { memberUserId: data.createdByUserId } : {}),
    },
    retryOptions(context),
  );
}

export async function onCompanyUpdated(event: FoodXchangeEvent<'company.updated'>, context: EventHandlerContext): Promise<void> {
  const data = event.data;
  await applyCompanyFacts(
    depsOf(context.app),
    data.companyId,
    {
      profile: {
        version: data.version,
        name: data.name,
        country: data.country,
        type: data.type,
        marketsServed: [...data.marketsServed],
        categories: [...data.categories],
      },
    },
    retryOptions(context),
  );
}

export async function onCompanyVerified(event: FoodXchangeEvent<'company.verified'>, context: EventHandlerContext): Promise<void> {
  const data = event.data;
  // Name, type and country here are the profile as of the verification: they fill a copy that
  // knows nothing yet, never overwrite a newer profile (version 0 counts as older than any).
  await applyCompanyFacts(
    depsOf(context.app),
    data.companyId,
    {
      profile: { version: 0, name: data.name, ...(data.type ? { type: data.type } : {}), ...(data.country ? { country: data.country } : {}) },
      verification: { version: data.version ?? 0, verified: true },
    },
    retryOptions(context),
  );
}

export async function onCertificationAdded(event: FoodXchangeEvent<'company.certification-added'>, context: EventHandlerContext): Promise<void> {
  const data = event.data;
  await applyCompanyFacts(
    depsOf(context.app),
    data.companyId,
    {
      ...(data.companyName ? { profile: { version: 0, name: data.companyName } } : {}),
      certifications: { version: data.version ?? 0, list: certificationsOf(data.certifications) },
    },
    retryOptions(context),
  );
}

export async function onCertificationWithdrawn(
  event: FoodXchangeEvent<'company.certification-withdrawn'>,
  context: EventHandlerContext,
): Promise<void> {
  const data = event.data;
  await applyCompanyFacts(
    depsOf(context.app),
    data.companyId,
    {
      ...(data.companyName ? { profile: { version: 0, name: data.companyName } } : {}),
      certifications: { version: data.version ?? 0, list: certificationsOf(data.certifications) },
    },
    retryOptions(context),
  );
}

/** A buyer or supplier joins their company's members; the company is copied from what the registration says. */
export async function onUserRegistered(event: FoodXchangeEvent<'user.registered'>, context: EventHandlerContext): Promise<void> {
  const data = event.data;
  if (!data.companyId) return; // platform admins act for no company
  const deps = depsOf(context.app);
  await recordMemberStatus(deps, { userId: data.userId, companyId: data.companyId });
  // What the registration knows of the company fills a copy that knows nothing yet (version 0).
  await applyCompanyFacts(
    deps,
    data.companyId,
    {
      ...(data.company ? { profile: { version: 0, name: data.company.name, country: data.company.country, ...(data.company.type ? { type: data.company.type } : {}) } } : {}),
      memberUserId: data.userId,
    },
    retryOptions(context),
  );
}

export async function onUserSuspended(event: FoodXchangeEvent<'user.suspended'>, context: EventHandlerContext): Promise<void> {
  const { userId, companyId, suspendedAt } = event.data;
  await applyMemberStatus(
    depsOf(context.app),
    { userId, ...(companyId ? { companyId } : {}), suspended: true, at: new Date(suspendedAt) },
    retryOptions(context),
  );
}

export async function onUserUnsuspended(event: FoodXchangeEvent<'user.unsuspended'>, context: EventHandlerContext): Promise<void> {
  const { userId, companyId, unsuspendedAt } = event.data;
  await applyMemberStatus(
    depsOf(context.app),
    { userId, ...(companyId ? { companyId } : {}), suspended: false, at: new Date(unsuspendedAt) },
    retryOptions(context),
  );
}
