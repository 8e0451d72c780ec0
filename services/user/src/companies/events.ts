import type { EventData } from '@foodxchange/contracts';
import type { CompanyDoc } from './model.js';

/** `company.created` data: the read copy other services keep of a new company. */
export function companyCreatedData(company: Pick<CompanyDoc, '_id' | 'name' | 'country' | 'type' | 'verified' | 'createdByUserId' | 'createdAt'>): EventData<'company.created'> {
  return {
    companyId: company._id,
    name: company.name,
    country: company.country,
    type: company.type,
    verified: company.verified,
    ...(company.createdByUserId ? { createdByUserId: company.createdByUserId } : {}),
    createdAt: company.createdAt.toISOString(),
  };
}
