import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { TOPICS, type EventData } from '@foodxchange/contracts';
import { uniqueSuffix, waitFor, type TestIssuer } from '@foodxchange/service-kit/testing';
import type { EventHandlerContext } from '@foodxchange/service-kit';
import {
  onCertificationAdded,
  onCertificationWithdrawn,
  onCompanyCreated,
  onCompanyUpdated,
  onCompanyVerified,
  onUserRegistered,
  onUserSuspended,
  onUserUnsuspended,
} from '../src/companies/events.js';
import { certificationValidAt, certificationsValidOn, findCompanyCopies, findCompanyCopy, isCompanyActive } from '../src/companies/service.js';
import { certificate, companyId, contractEvent, productBody, publish, startCatalog, supplier, type CatalogTestApp } from './products.fixtures.js';

let catalog: CatalogTestApp;
let server: FastifyInstance;
let issuer: TestIssuer;
const changed: string[] = [];

beforeAll(async () => {
  catalog = await startCatalog();
  ({ server, issuer } = catalog);
  server.companyCopies.onChanged((id) => {
    changed.push(id);
  });
  await server.events.whenConsuming();
});
afterAll(async () => {
  await catalog?.close();
});

const deps = () => server.companyCopies.deps;
const copyOf = (id: string) => findCompanyCopy(deps(), id);
const context = (topic: string, attempt = 1): EventHandlerContext => ({
  app: server,
  log: server.log,
  topic,
  partition: 0,
  offset: '0',
  attempt,
  heartbeat: async () => undefined,
});

const created = (id: string, overrides: Partial<EventData<'company.created'>> = {}): EventData<'company.created'> => ({
  companyId: id,
  name: 'Iberia Olive Co. S.L.',
  country: 'ES',
  type: 'supplier',
  verified: false,
  marketsServed: ['EU'],
  categories: ['oils'],
  certifications: [],
  version: 1,
  createdAt: new Date().toISOString(),
  ...overrides,
});

type Held = EventData<'company.certification-added'>['certification'];
const held = (type: Held['type'], from = -30, until = 365): Held => certificate(type, from, until) as Held;

describe("the catalog's copy of a company, from the user service's events on the topics", () => {
  it('builds the copy from published company events and lets products claim what it holds', async () => {
    const id = companyId();
    const haccp = held('HACCP');
    const owner = supplier(issuer, id);
    await publish(server, contractEvent(TOPICS.companyCreated, id, created(id, { certifications: [haccp], version: 1 })));
    await waitFor(async () => (await copyOf(id))?.name === 'Iberia Olive Co. S.L.', { what: 'the copy from company.created' });
    expect(await copyOf(id)).toMatchObject({
      _id: id,
      country: 'ES',
      type: 'supplier',
      verified: false,
      marketsServed: ['EU'],
      categories: ['oils'],
      active: true,
      versions: { profile: 1, certifications: 1, verification: 1 },
    });
    expect((await post(owner, productBody({ certifications: ['HACCP'] }))).statusCode).toBe(201);
    expect((await post(owner, productBody({ certifications: ['ORGANIC_EU'] }))).statusCode).toBe(400);

    const organic = held('ORGANIC_EU');
    await publish(
      server,
      contractEvent(TOPICS.companyCertificationAdded, id, { companyId: id, certification: organic, certifications: [haccp, organic], version: 2 }),
    );
    await waitFor(async () => (await copyOf(id))?.versions.certifications === 2, { what: 'certification-added applied' });
    expect((await post(owner, productBody({ certifications: ['HACCP', 'ORGANIC_EU'] }))).statusCode).toBe(201);

    await publish(
      server,
      contractEvent(TOPICS.companyCertificationWithdrawn, id, { companyId: id, certificationId: haccp.id, certifications: [organic], version: 3 }),
    );
    await waitFor(async () => (await copyOf(id))?.versions.certifications === 3, { what: 'certification-withdrawn applied' });
    const refused = await post(owner, productBody({ certifications: ['HACCP'] }));
    expect(refused.statusCode).toBe(400);
    expect(Object.keys(refused.json().error.fields)).toEqual(['body.certifications']);

    await publish(server, contractEvent(TOPICS.companyVerified, id, { companyId: id, name: 'Iberia Olive Co. S.L.', verifiedBy: 'adm-1', verifiedAt: new Date().toISOString(), version: 4 }));
    await publish(
      server,
      contractEvent(TOPICS.companyUpdated, id, {
        companyId: id,
        name: 'Iberia Olive Company',
        country: 'ES',
        type: 'both',
        marketsServed: ['EU', 'UK'],
        categories: ['oils', 'preserved'],
        version: 5,
        updatedAt: new Date().toISOString(),
      }),
    );
    await waitFor(async () => {
      const copy = await copyOf(id);
      return copy?.verified === true && copy.name === 'Iberia Olive Company';
    }, { what: 'verification and profile edit applied' });
    expect(await copyOf(id)).toMatchObject({ type: 'both', marketsServed: ['EU', 'UK'], categories: ['oils', 'preserved'], versions: { profile: 5, certifications: 3, verification: 4 } });
    await waitFor(() => changed.filter((entry) => entry === id).length >= 5, { what: 'a change notice per change' });
  });

  it('applies each aspect only when newer, whatever order the events come in, and creates the copy from the first one', async () => {
    const id = companyId();
    const haccp = held('HACCP');
    const iso = held('ISO22000');
    // The certificate (version 3) and the verification (version 4) arrive before the creation (version 1).
    await onCertificationAdded(
      contractEvent(TOPICS.companyCertificationAdded, id, { companyId: id, companyName: 'Nordic Fresh AB', certification: iso, certifications: [haccp, iso], version: 3 }),
      context(TOPICS.companyCertificationAdded),
    );
    expect(await copyOf(id)).toMatchObject({ name: 'Nordic Fresh AB', certifications: [expect.objectContaining({ type: 'HACCP' }), expect.objectContaining({ type: 'ISO22000' })] });
    expect((await copyOf(id))!.country).toBeUndefined();
    await onCompanyVerified(
      contractEvent(TOPICS.companyVerified, id, { companyId: id, name: 'Nordic Fresh AB', verifiedBy: 'adm-1', verifiedAt: new Date().toISOString(), version: 4 }),
      context(TOPICS.companyVerified),
    );
    await onCompanyCreated(contractEvent(TOPICS.companyCreated, id, created(id, { name: 'Nordic Fresh Foods AB', country: 'SE', certifications: [], version: 1 })), context(TOPICS.companyCreated));
    const copy = (await copyOf(id))!;
    // The creation's profile is the newest profile seen; its empty certificate list and
    // `verified: false` are older than what the copy holds.
    expect(copy).toMatchObject({ name: 'Nordic Fresh Foods AB', country: 'SE', verified: true, versions: { profile: 1, certifications: 3, verification: 4 } });
    expect(copy.certifications.map((c) => c.type)).toEqual(['HACCP', 'ISO22000']);

    // A newer profile, then an older one delivered late.
    const profile = (name: string, version: number) =>
      contractEvent(TOPICS.companyUpdated, id, { companyId: id, name, country: 'SE', type: 'supplier', marketsServed: ['EU'], categories: [], version, updatedAt: new Date().toISOString() });
    await onCompanyUpdated(profile('Nordic Fresh v6', 6), context(TOPICS.companyUpdated));
    await onCompanyUpdated(profile('Nordic Fresh v5', 5), context(TOPICS.companyUpdated));
    // An older certificate list (version 2) arriving late changes nothing either.
    await onCertificationWithdrawn(
      contractEvent(TOPICS.companyCertificationWithdrawn, id, { companyId: id, certificationId: iso.id, certifications: [], version: 2 }),
      context(TOPICS.companyCertificationWithdrawn),
    );
    const after = (await copyOf(id))!;
    expect(after.name).toBe('Nordic Fresh v6');
    expect(after.certifications).toHaveLength(2);

    // The same event again (a redelivery under a new id): nothing changes, nobody is told.
    const before = changed.length;
    await onCompanyUpdated(profile('Nordic Fresh v6', 6), context(TOPICS.companyUpdated));
    expect(changed.length).toBe(before);
    expect((await copyOf(id))!.updatedAt).toEqual(after.updatedAt);
    // … unless it is a retry, whose first attempt may have changed the copy but failed to tell.
    await onCompanyUpdated(profile('Nordic Fresh v6', 6), context(TOPICS.companyUpdated, 2));
    expect(changed.slice(before)).toEqual([id]);
  });

  it("keeps the company active while one member is not suspended, from user events in any order", async () => {
    const id = companyId();
    const anna = `usr-${uniqueSuffix()}`;
    const ben = `usr-${uniqueSuffix()}`;
    const registered = (userId: string) =>
      contractEvent(TOPICS.userRegistered, userId, {
        userId,
        email: `${userId}@example.test`,
        name: 'Anna',
        role: 'supplier',
        companyId: id,
        company: { name: 'Olivar S.L.', country: 'ES' },
        registeredAt: new Date().toISOString(),
      });
    const suspended = (userId: string, at: string, withCompany = false) =>
      contractEvent(TOPICS.userSuspended, userId, { userId, ...(withCompany ? { companyId: id } : {}), reason: 'fraud', suspendedBy: 'adm-1', suspendedAt: at });
    const unsuspended = (userId: string, at: string) =>
      contractEvent(TOPICS.userUnsuspended, userId, { userId, reason: 'cleared', unsuspendedBy: 'adm-1', unsuspendedAt: at });

    // Ben is suspended before the catalog hears he registered (no company id on the suspension).
    await onUserSuspended(suspended(ben, '2026-01-01T10:00:00.000Z'), context(TOPICS.userSuspended));
    expect(await copyOf(id)).toBeNull();
    await onUserRegistered(registered(ben), context(TOPICS.userRegistered));
    expect(await copyOf(id)).toMatchObject({ name: 'Olivar S.L.', country: 'ES', members: [{ userId: ben, suspended: true }], active: false });
    expect(isCompanyActive(await copyOf(id))).toBe(false);

    await publish(server, registered(anna));
    await waitFor(async () => (await copyOf(id))?.active === true, { what: 'a second, unsuspended member' });

    await publish(server, suspended(anna, new Date().toISOString(), true));
    await waitFor(async () => (await copyOf(id))?.active === false, { what: 'every member suspended' });

    // Lifted at 11:00 and suspended at 10:00, consumed the other way round: the lift wins.
    await onUserUnsuspended(unsuspended(ben, '2026-01-01T11:00:00.000Z'), context(TOPICS.userUnsuspended));
    await onUserSuspended(suspended(ben, '2026-01-01T10:30:00.000Z'), context(TOPICS.userSuspended));
    const copy = (await copyOf(id))!;
    expect(copy.members).toEqual([
      { userId: anna, suspended: true },
      { userId: ben, suspended: false },
    ].sort((a, b) => a.userId.localeCompare(b.userId)));
    expect(copy.active).toBe(true);
  });

  it('finds several copies at once', async () => {
    const [a, b] = [companyId(), companyId()];
    await onCompanyCreated(contractEvent(TOPICS.companyCreated, a, created(a)), context(TOPICS.companyCreated));
    await onCompanyCreated(contractEvent(TOPICS.companyCreated, b, created(b, { name: 'Other' })), context(TOPICS.companyCreated));
    const found = await findCompanyCopies(deps(), [a, b, companyId()]);
    expect([...found.keys()].sort()).toEqual([a, b].sort());
    expect(found.get(b)!.name).toBe('Other');
  });
});

describe('certificate validity', () => {
  const on = (iso: string) => new Date(iso);
  it('counts a date-only bound as that whole UTC day and a date-time bound exactly', () => {
    const day = { validFrom: '2026-03-01', validUntil: '2026-03-31' };
    expect(certificationValidAt(day, on('2026-02-28T23:59:59.999Z'))).toBe(false);
    expect(certificationValidAt(day, on('2026-03-01T00:00:00.000Z'))).toBe(true);
    expect(certificationValidAt(day, on('2026-03-31T23:59:59.999Z'))).toBe(true);
    expect(certificationValidAt(day, on('2026-04-01T00:00:00.000Z'))).toBe(false);
    const exact = { validFrom: '2026-03-01T12:00:00.000Z', validUntil: '2026-03-31T12:00:00.000Z' };
    expect(certificationValidAt(exact, on('2026-03-01T11:59:59.999Z'))).toBe(false);
    expect(certificationValidAt(exact, on('2026-03-31T12:00:00.000Z'))).toBe(true);
    expect(certificationValidAt(exact, on('2026-03-31T12:00:00.001Z'))).toBe(false);
  });

  it('lists the types held on a day, ignoring expired and future certificates', () => {
    const company = {
      certifications: [
        { type: 'HACCP', number: '1', issuedBy: 'x', validFrom: '2025-01-01', validUntil: '2025-12-31' },
        { type: 'HACCP', number: '2', issuedBy: 'x', validFrom: '2026-01-01', validUntil: '2026-12-31' },
        { type: 'IFS', number: '3', issuedBy: 'x', validFrom: '2027-01-01', validUntil: '2027-12-31' },
        { type: 'HALAL', number: '4', issuedBy: 'x', validFrom: '2024-01-01', validUntil: '2025-06-30' },
      ] as const,
    };
    const copy = { certifications: company.certifications.map((c) => ({ ...c })) };
    expect(certificationsValidOn(copy, on('2026-06-01T00:00:00Z'))).toEqual(['HACCP']);
    expect(certificationsValidOn(copy, on('2025-06-30T18:00:00Z'))).toEqual(['HACCP', 'HALAL']);
    expect(certificationsValidOn(copy, on('2027-06-01T00:00:00Z'))).toEqual(['IFS']);
    expect(certificationsValidOn(null, on('2026-06-01T00:00:00Z'))).toEqual([]);
  });
});

function post(headers: Record<string, string>, payload: unknown) {
  return server.inject({ method: 'POST', url: '/api/v1/products', headers, payload: payload as object });
}
