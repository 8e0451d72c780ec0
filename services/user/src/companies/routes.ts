import type { FastifyInstance } from 'fastify';
import { isAdminRole } from '@foodxchange/contracts';
import { AuthorizationError, actsFor, assertSameCompany, callerOf, ok, paged, type Identity } from '@foodxchange/service-kit';
import {
  CompanyEnvelope,
  CompanyListEnvelope,
  CompanyListQuerySchema,
  CompanyParamsSchema,
  FullCompanyEnvelope,
  UpdateCompanyBodySchema,
  VerifyCompanyBodySchema,
  type CompanyListQuery,
  type UpdateCompanyBody,
  type VerifyCompanyBody,
} from './schemas.js';
import { getCompany, listCompanies, updateCompany, verifyCompany, type CompanyDeps, type CompanyReader } from './service.js';

const readerOf = (identity: Identity, companyId: string): CompanyReader => ({
  full: actsFor(identity, companyId),
  admin: isAdminRole(identity.role),
});

export default async function companyRoutes(app: FastifyInstance, { deps }: { deps: CompanyDeps }) {
  app.get(
    '/companies',
    {
      config: { access: { permission: 'company:verify' } },
      // The list shows every company's verification state: for platform admins only, whatever
      // permissions a company user's token might carry (as for verifying).
      preValidation: async (request) => {
        if (!isAdminRole(callerOf(request).role)) throw new AuthorizationError('Only platform admins list companies');
      },
      schema: {
        tags: ['companies'],
        summary: 'Every company, newest first (platform admins): filter by verification, type and name',
        querystring: CompanyListQuerySchema,
        response: { 200: CompanyListEnvelope },
      },
    },
    async (request) => {
      const query = request.query as CompanyListQuery;
      const { items, total } = await listCompanies(deps.companies, query);
      return paged(items, { page: query.page, limit: query.limit, total });
    },
  );

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
        description:
          'Name, description, address, website, phone, markets served and categories; null removes an optional field. Every accepted edit publishes company.updated with the profile after the change.',
        params: CompanyParamsSchema,
        body: UpdateCompanyBodySchema,
        response: { 200: FullCompanyEnvelope },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const identity = callerOf(request);
      const company = await updateCompany(deps, id, request.body as UpdateCompanyBody, readerOf(identity, id), app.events.context(request));
      app.events.published();
      void reply.header('etag', `"${company.version}"`);
      return ok(company);
    },
  );

  app.post(
    '/companies/:id/verify',
    {
      config: { access: { permission: 'company:verify' } },
      // The permission is an admin's; an API key or token that somehow carries it for a company
      // user is still refused: verification vouches for a company to everyone else.
      preValidation: async (request) => {
        if (!isAdminRole(callerOf(request).role)) throw new AuthorizationError('Only platform admins verify companies');
        // The body is optional: a bare POST verifies without a note.
        if (request.body === undefined || request.body === null) request.body = {};
      },
      schema: {
        tags: ['companies'],
        summary: 'Verify a company (platform admins)',
        description:
          'Marks the company verified (who, when, the optional note) and publishes company.verified. Idempotent: verifying a verified company answers 200 with the company as it is, changes nothing and publishes nothing.',
        params: CompanyParamsSchema,
        body: VerifyCompanyBodySchema,
        response: { 200: FullCompanyEnvelope },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const { company, verifiedNow } = await verifyCompany(deps, id, request.body as VerifyCompanyBody, { userId: callerOf(request).userId }, app.events.context(request));
      if (verifiedNow) app.events.published();
      void reply.header('etag', `"${company.version}"`);
      return ok(company);
    },
  );
}
