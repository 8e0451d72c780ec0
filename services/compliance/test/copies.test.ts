import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { TOPICS } from '@foodxchange/contracts';
import { dropDatabase, startTestIssuer, type TestIssuer } from '@foodxchange/service-kit/testing';
import { findCompanyCopy } from '../src/companies/service.js';
import { findProductCopies } from '../src/products/service.js';
import { companyCreated, contractEvent, deliver, held, productData, startCompliance } from './saga.fixtures.js';

let server: FastifyInstance;
let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await startTestIssuer();
  server = await startCompliance(issuer.env);
});
afterAll(async () => {
  await dropDatabase(server);
  await server?.close();
  await issuer?.close();
});

const companyOf = (id: string) => findCompanyCopy(server.compliance.companies, id);
const productOf = async (id: string) => (await findProductCopies(server.compliance.products, [id])).get(id);

describe("compliance's copy of a supplier's certificates, from the user service's events", () => {
  it('follows company.created, certification-added, -withdrawn and company.verified', async () => {
    const id = `sup-${randomUUID()}`;
    const haccp = held('HACCP');
    const iso = held('ISO22000');
    await deliver(server, contractEvent(TOPICS.companyCreated, id, companyCreated(id, [haccp])), 'company.created.copy');
    expect(await companyOf(id)).toMatchObject({
      name: 'Olivar SA',
      certificationsKnown: true,
      certifications: [{ id: haccp.id, type: 'HACCP', validFrom: haccp.validFrom, validUntil: haccp.validUntil }],
      verified: false,
      versions: { certifications: 1, verification: 1 },
    });

    await deliver(
      server,
      contractEvent(TOPICS.companyCertificationAdded, id, { companyId: id, certification: iso, certifications: [haccp, iso], version: 2 }),
      'company.certification-added.copy',
    );
    expect((await companyOf(id))?.certifications.map((c) => c.type)).toEqual(['HACCP', 'ISO22000']);

    await deliver(
      server,
      contractEvent(TOPICS.companyCertificationWithdrawn, id, { companyId: id, certificationId: haccp.id, certifications: [iso], version: 3 }),
      'company.certification-withdrawn.copy',
    );
    await deliver(
      server,
      contractEvent(TOPICS.companyVerified, id, { companyId: id, name: 'Olivar SA', verifiedBy: 'adm-1', verifiedAt: new Date().toISOString(), version: 4 }),
      'company.verified.copy',
    );
    expect(await companyOf(id)).toMatchObject({
      certifications: [{ type: 'ISO22000' }],
      verified: true,
      versions: { certifications: 3, verification: 4 },
    });
  });

  it('keeps the newest list when events arrive out of order or again', async () => {
    const id = `sup-${randomUUID()}`;
    const haccp = held('HACCP');
    const iso = held('ISO22000');
    // The withdrawal (version 3) is consumed before the addition it follows (version 2).
    await deliver(
      server,
      contractEvent(TOPICS.companyCertificationWithdrawn, id, { companyId: id, certificationId: haccp.id, certifications: [iso], version: 3 }),
      'company.certification-withdrawn.copy',
    );
    const added = contractEvent(TOPICS.companyCertificationAdded, id, { companyId: id, certification: iso, certifications: [haccp, iso], version: 2 });
    await deliver(server, added, 'company.certification-added.copy');
    // company.created (version 1) last of all: it creates nothing new either.
    await deliver(server, contractEvent(TOPICS.companyCreated, id, companyCreated(id, [haccp])), 'company.created.copy');
    expect(await companyOf(id)).toMatchObject({ certifications: [{ type: 'ISO22000' }], versions: { certifications: 3, verification: 1 } });

    // The same version resent under a new event id changes nothing either.
    await deliver(
      server,
      contractEvent(TOPICS.companyCertificationAdded, id, { companyId: id, certification: iso, certifications: [haccp, iso], version: 3 }),
      'company.certification-added.copy',
    );
    expect((await companyOf(id))?.certifications.map((c) => c.type)).toEqual(['ISO22000']);
  });

  it('a verification alone does not make the certificates known', async () => {
    const id = `sup-${randomUUID()}`;
    await deliver(
      server,
      contractEvent(TOPICS.companyVerified, id, { companyId: id, name: 'Olivar SA', verifiedBy: 'adm-1', verifiedAt: new Date().toISOString(), version: 2 }),
      'company.verified.copy',
    );
    expect(await companyOf(id)).toMatchObject({ verified: true, certificationsKnown: false, certifications: [] });
    await deliver(server, contractEvent(TOPICS.companyCreated, id, companyCreated(id, [])), 'company.created.copy');
    // The creation (version 1) is older than the verification (2) for that aspect, not for the certificates.
    expect(await companyOf(id)).toMatchObject({ verified: true, certificationsKnown: true, versions: { certifications: 1, verification: 2 } });
  });
});

describe("compliance's copy of a product, from catalog's events", () => {
  it('keeps the newest snapshot; a deletion keeps the content and marks it', async () => {
    const supplier = `sup-${randomUUID()}`;
    const id = `prod-${randomUUID()}`;
    await deliver(server, contractEvent(TOPICS.productCreated, id, productData(id, supplier, { allergens: ['milk'], version: 1 })), 'product.created.copy');
    expect(await productOf(id)).toMatchObject({ supplierCompanyId: supplier, originCountry: 'ES', allergens: ['milk'], status: 'active', version: 1, contentKnown: true });

    await deliver(
      server,
      contractEvent(TOPICS.productUpdated, id, { ...productData(id, supplier, { allergens: ['milk', 'nuts'], originCountry: 'IT', version: 3 }), changedFields: ['allergens'] }),
      'product.updated.copy',
    );
    // A late update (version 2) and a redelivered creation change nothing.
    await deliver(server, contractEvent(TOPICS.productUpdated, id, productData(id, supplier, { allergens: [], version: 2 })), 'product.updated.copy');
    await deliver(server, contractEvent(TOPICS.productCreated, id, productData(id, supplier, { version: 1 })), 'product.created.copy');
    expect(await productOf(id)).toMatchObject({ allergens: ['milk', 'nuts'], originCountry: 'IT', version: 3 });

    await deliver(server, contractEvent(TOPICS.productDeleted, id, { productId: id, supplierCompanyId: supplier, version: 4 }), 'product.deleted.copy');
    expect(await productOf(id)).toMatchObject({ status: 'deleted', allergens: ['milk', 'nuts'], originCountry: 'IT', version: 4, contentKnown: true });
  });

  it('a deletion that arrives first leaves a tombstone the older snapshot does not revive', async () => {
    const supplier = `sup-${randomUUID()}`;
    const id = `prod-${randomUUID()}`;
    await deliver(server, contractEvent(TOPICS.productDeleted, id, { productId: id, supplierCompanyId: supplier, version: 2 }), 'product.deleted.copy');
    await deliver(server, contractEvent(TOPICS.productCreated, id, productData(id, supplier, { version: 1 })), 'product.created.copy');
    expect(await productOf(id)).toMatchObject({ status: 'deleted', contentKnown: false, version: 2 });
  });
});
