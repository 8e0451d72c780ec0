import type { FastifyInstance } from 'fastify';
import { isAdminRole } from '@foodxchange/contracts';
import { AuthorizationError, actsFor, assertSameCompany, callerOf, ok } from '@foodxchange/service-kit';
import { CompanyParamsSchema } from '../companies/schemas.js';
import type { CompanyDeps } from '../companies/service.js';
import {
  AddCertificationBodySchema,
  CertificationEnvelope,
  CertificationListEnvelope,
  CertificationParamsSchema,
  WithdrawnCertificationEnvelope,
  type AddCertificationBody,
} from './schemas.js';
import { addCertification, listCertifications, withdrawCertification } from './service.js';

export default async function certificationRoutes(app: FastifyInstance, { deps }: { deps: CompanyDeps }) {
  app.post(
    '/companies/:id/certifications',
    {
      config: { access: { permission: 'certification:manage' } },
      // Before validation, like PATCH /companies/:id: another company's id is "not found" whatever
      // the body says. A certificate is the company's own declaration, so admins (who act for no
      // company) may withdraw one but not add one.
      preValidation: async (request) => {
        const { id } = request.params as { id: string };
        const identity = callerOf(request);
        if (isAdminRole(identity.role)) throw new AuthorizationError("Certificates are added by the company's own users");
        assertSameCompany(identity, id, `Company ${id}`);
      },
      schema: {
        tags: ['certifications'],
        summary: 'Add a certificate to the caller’s company',
        description:
          'Types of DESIGN.md; validFrom/validUntil are YYYY-MM-DD (that whole UTC day) or exact date-times, validFrom not after validUntil. The same type and number twice answers 409. Publishes company.certification-added with the whole list after the change.',
        params: CompanyParamsSchema,
        body: AddCertificationBodySchema,
        response: { 201: CertificationEnvelope },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const { view, version } = await addCertification(
        deps,
        id,
        request.body as AddCertificationBody,
        { userId: callerOf(request).userId },
        app.events.context(request),
      );
      app.events.published();
      void reply.code(201).header('etag', `"${version}"`);
      return ok(view);
    },
  );

  app.get(
    '/companies/:id/certifications',
    {
      config: { access: { permission: 'company:read' } },
      schema: {
        tags: ['certifications'],
        summary: "A company's certificates",
        description:
          "Its members and platform admins see every certificate with its status as of now (valid, expired, not_yet_valid); any other signed-in user only those valid now.",
        params: CompanyParamsSchema,
        response: { 200: CertificationListEnvelope },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      return ok(await listCertifications(deps, id, { insider: actsFor(callerOf(request), id) }));
    },
  );

  app.delete(
    '/companies/:id/certifications/:certId',
    {
      config: { access: { permission: 'certification:manage' } },
      preValidation: async (request) => {
        const { id } = request.params as { id: string };
        assertSameCompany(callerOf(request), id, `Company ${id}`);
      },
      schema: {
        tags: ['certifications'],
        summary: 'Withdraw a certificate (the company’s users, platform admins)',
        description:
          'Removes it from the company: 200 with the withdrawn certificate, what the company still holds and the new company version; 404 when the company holds no certificate of that id (also when it was already withdrawn). Publishes company.certification-withdrawn with the whole list after the change.',
        params: CertificationParamsSchema,
        response: { 200: WithdrawnCertificationEnvelope },
      },
    },
    async (request, reply) => {
      const { id, certId } = request.params as { id: string; certId: string };
      const result = await withdrawCertification(deps, id, certId, { userId: callerOf(request).userId }, app.events.context(request));
      app.events.published();
      void reply.header('etag', `"${result.version}"`);
      return ok(result);
    },
  );
}
