import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { companyCopyModel, memberStatusModel } from './model.js';
import { findCompanyCopies, findCompanyCopy, type CompanyCopy, type CompanyCopyDeps } from './service.js';

export type CompanyChangeListener = (companyId: string) => Promise<void> | void;

/** The catalog's company read copies, as other features of the service use them. */
export interface CompanyCopies {
  deps: CompanyCopyDeps;
  find(companyId: string): Promise<CompanyCopy | null>;
  findMany(ids: Iterable<string>): Promise<Map<string, CompanyCopy>>;
  /**
   * Runs `listener` after every change of a copy (in the replica that applied it), awaited: a
   * listener that throws makes the event be retried, and the retry calls it again.
   */
  onChanged(listener: CompanyChangeListener): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    companyCopies: CompanyCopies;
  }
}

async function companiesPlugin(app: FastifyInstance) {
  const listeners: CompanyChangeListener[] = [];
  const deps: CompanyCopyDeps = {
    companies: companyCopyModel(app.mongo),
    memberStatuses: memberStatusModel(app.mongo),
    locks: app.locks,
    onCompanyChanged: async (companyId) => {
      for (const listener of listeners) await listener(companyId);
    },
  };
  app.decorate('companyCopies', {
    deps,
    find: (companyId) => findCompanyCopy(deps, companyId),
    findMany: (ids) => findCompanyCopies(deps, ids),
    onChanged: (listener) => {
      listeners.push(listener);
    },
  } satisfies CompanyCopies);
}

export default fp(companiesPlugin, { name: 'catalog-companies', fastify: '5.x', dependencies: ['foodxchange-mongo'] });
