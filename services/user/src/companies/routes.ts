import type { FastifyInstance } from 'fastify';
import { isAdminRole } from '@foodxchange/contracts';
import { actsFor, assertSameCompany, callerOf, ok, type Identity } from '@foodxchange/service-kit';
import { CompanyEnvelope, CompanyParamsSchema, FullCompanyEnvelope, UpdateCompanyBodySchema, type UpdateCompanyBody } from './schemas.js';
import { getCompany, updateCompany, type CompanyDeps, type CompanyReader } from './service.js';

const readerOf = (identity: Identity, companyId: string): CompanyReader => ({
  full: actsFor(identity, companyId),
  admin: isAdminRole(identity.role),
});

export default async function companyRoutes(app: FastifyInstance, { deps }: { deps: CompanyDeps }) {
  app.get(
    '/companies/:id',
    {
      config: { access: { permission: 'company:read' } },
      schema: {
        tags: ['companies'],
        summary: 'A company: everything for its members and platform admins (view "full"), the public profile for everyone else (view "public")',
        params: CompanyParamsSchema,
        response: { 200: CompanyEnvelope },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const company = await getCompany(deps, id, readerOf(callerOf(request), id));
      if (company.view === 'full') void reply.header('etag', `"${company.version}"`);
      return ok(company);
    },
  );

  app.patch(
    '/companies/:id',
    {
      config: { access: { permission: 'company:update' } },
      // Before validation: another company's id is "not found" whatever the body says, so its
      // existence is not confirmed and no schema details are handed to outsiders.
      preValidation: async (request) => {
        const { id } = request.params as { id: string };
        assertSameCompany(callerOf(request), id, `Company ${id}`);
      },
      schema: {
        tags: ['companies'],
        summary: "Edit a company's profile (its own members and platform admins)",
        description: 'Name, description, address, website, phone, markets served and categories; null removes an optional field.',
        params: CompanyParamsSchema,
        body: UpdateCompanyBodySchema,
        response: { 200: FullCompanyEnvelope },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const identity = callerOf(request);
      const company = await updateCompany(deps, id, request.body as UpdateCompanyBody, readerOf(identity, id));
      void reply.header('etag', `"${company.version}"`);
      return ok(company);
    },
  );
}
