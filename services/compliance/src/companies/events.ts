import type { FoodXchangeEvent } from '@foodxchange/contracts';
import type { EventHandlerContext } from '@foodxchange/service-kit';
import '../deps.js';
import { companyKey, recheckWaitingFor } from '../verdicts/service.js';
import { applyCompanyFacts, type CompanyFacts } from './service.js';

/**
 * Consumers of the user service's company events: each applies what its event says about the
 * company's certificates or verification to compliance's copy (newest version wins), then
 * re-checks any order that was waiting for this supplier's copy. The kit records handled event
 * ids; the versions make reordered and resent events harmless too.
 */
async function apply(context: EventHandlerContext, companyId: string, facts: CompanyFacts): Promise<void> {
  const deps = context.app.compliance;
  await applyCompanyFacts(deps.companies, companyId, facts);
  // Also on a retry or an unchanged copy: an order may have parked after an earlier attempt.
  await recheckWaitingFor(deps.verdicts, companyKey(companyId));
}

export async function onCompanyCreated(event: FoodXchangeEvent<'company.created'>, context: EventHandlerContext): Promise<void> {
  const { companyId, name, verified, certifications, version = 0 } = event.data;
  // A company is created with the certificates it states; none stated is none held.
  await apply(context, companyId, { name, certifications: { version, list: certifications ?? [] }, verification: { version, verified } });
}

export async function onCompanyVerified(event: FoodXchangeEvent<'company.verified'>, context: EventHandlerContext): Promise<void> {
  const { companyId, name, version = 0 } = event.data;
  await apply(context, companyId, { name, verification: { version, verified: true } });
}

export async function onCertificationAdded(event: FoodXchangeEvent<'company.certification-added'>, context: EventHandlerContext): Promise<void> {
  const { companyId, companyName, certifications, version = 0 } = event.data;
  await apply(context, companyId, { ...(companyName ? { name: companyName } : {}), certifications: { version, list: certifications } });
}

export async function onCertificationWithdrawn(
  event: FoodXchangeEvent<'company.certification-withdrawn'>,
  context: EventHandlerContext,
): Promise<void> {
  const { companyId, companyName, certifications, version = 0 } = event.data;
  await apply(context, companyId, { ...(companyName ? { name: companyName } : {}), certifications: { version, list: certifications } });
}
