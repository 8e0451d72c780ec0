/**
 * Roles and what each may do: the one permission map every service and the gateway enforce.
 * A token carries the permissions of its role at the time it was minted (`permissions` claim);
 * an API key carries a subset of its creator's.
 */
import { ROLES, type Role } from './schemas/common.js';

export const PERMISSIONS = [
  // catalog
  'product:create',
  'product:update',
  'product:delete',
  // sourcing
  'rfq:create',
  'rfq:read',
  'rfq:award',
  'rfq:cancel',
  'quote:submit',
  'quote:read',
  // orders
  'order:create',
  'order:read',
  'order:update',
  // companies
  'company:read',
  'company:update',
  'company:verify',
  'certification:manage',
  // compliance
  'compliance:validate',
  'compliance:read',
  'rules:edit',
  // platform administration
  'user:manage',
  'admin:read',
  'dead-letters:replay',
  // identity
  'api-key:manage',
  'notification:read',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

const EVERY_MEMBER: readonly Permission[] = [
  'company:read',
  'company:update',
  'compliance:validate',
  'compliance:read',
  'order:read',
  'rfq:read',
  'quote:read',
  'api-key:manage',
  'notification:read',
];

const ADMIN: readonly Permission[] = PERMISSIONS.filter((permission) => permission !== 'api-key:manage');

export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = Object.freeze({
  buyer: [...EVERY_MEMBER, 'rfq:create', 'rfq:award', 'rfq:cancel', 'order:create', 'order:update'],
  supplier: [
    ...EVERY_MEMBER,
    'product:create',
    'product:update',
    'product:delete',
    'quote:submit',
    'order:update',
    'certification:manage',
  ],
  admin: ADMIN,
  super_admin: [...PERMISSIONS],
});

/** The roles a person can choose when registering; admins are only ever made by admins. */
export const SELF_SERVICE_ROLES = ['buyer', 'supplier'] as const satisfies readonly Role[];

export const ADMIN_ROLES = ['admin', 'super_admin'] as const satisfies readonly Role[];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

export function isAdminRole(role: string): boolean {
  return (ADMIN_ROLES as readonly string[]).includes(role);
}

export function permissionsOf(role: Role): Permission[] {
  return [...ROLE_PERMISSIONS[role]];
}
