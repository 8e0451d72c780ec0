import type { Role } from '@/auth/session';

export interface NavItem {
  to: string;
  label: string;
}

/** What each role's navigation offers; every page a role can open is reachable from here. */
export function navFor(role: Role): NavItem[] {
  if (role === 'buyer') {
    return [
      { to: '/search', label: 'Catalogue' },
      { to: '/rfqs', label: 'My RFQs' },
      { to: '/orders', label: 'Orders' },
      { to: '/company', label: 'Company' },
    ];
  }
  if (role === 'supplier') {
    return [
      { to: '/inbox', label: 'RFQ inbox' },
      { to: '/products', label: 'Products' },
      { to: '/orders', label: 'Orders' },
      { to: '/company', label: 'Company' },
    ];
  }
  return [
    { to: '/admin', label: 'Dashboard' },
    { to: '/admin/companies', label: 'Companies' },
    { to: '/admin/users', label: 'Users' },
    { to: '/admin/rules', label: 'Market rules' },
    { to: '/admin/audit', label: 'Audit log' },
    { to: '/admin/dead-letters', label: 'Dead letters' },
  ];
}

export function homeOf(role: Role): string {
  return navFor(role)[0]!.to;
}
