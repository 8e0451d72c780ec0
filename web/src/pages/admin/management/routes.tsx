import type { RouteObject } from 'react-router';

/** Admin management pages: companies, users, market rules, audit log, dead letters (lazy, admins only). */
export const managementRoutes: RouteObject[] = [
  { path: '/admin/companies', lazy: async () => ({ Component: (await import('./companies-page')).CompaniesPage }) },
  { path: '/admin/users', lazy: async () => ({ Component: (await import('./users-page')).UsersPage }) },
  { path: '/admin/rules', lazy: async () => ({ Component: (await import('./rules-page')).RulesPage }) },
  { path: '/admin/rules/:market', lazy: async () => ({ Component: (await import('./rule-page')).RulePage }) },
  { path: '/admin/audit', lazy: async () => ({ Component: (await import('./audit-page')).AuditPage }) },
  { path: '/admin/audit/:eventId', lazy: async () => ({ Component: (await import('./audit-event-page')).AuditEventPage }) },
  { path: '/admin/dead-letters', lazy: async () => ({ Component: (await import('./dead-letters-page')).DeadLettersPage }) },
  { path: '/admin/dead-letters/:id', lazy: async () => ({ Component: (await import('./dead-letter-page')).DeadLetterPage }) },
];
