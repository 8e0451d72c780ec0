import { describe, expect, it } from 'vitest';
import { ADMIN_ROLES, PERMISSIONS, ROLES, ROLE_PERMISSIONS, SELF_SERVICE_ROLES, isAdminRole, permissionsOf } from '../src/index.js';

describe('roles and permissions', () => {
  it('every role maps to known permissions, without duplicates', () => {
    for (const role of ROLES) {
      const granted = ROLE_PERMISSIONS[role];
      expect(granted.length).toBeGreaterThan(0);
      expect(new Set(granted).size).toBe(granted.length);
      for (const permission of granted) expect(PERMISSIONS).toContain(permission);
    }
  });

  it('only suppliers sell, only buyers source, only admins administer', () => {
    expect(permissionsOf('supplier')).toContain('product:create');
    expect(permissionsOf('buyer')).not.toContain('product:create');
    expect(permissionsOf('buyer')).toContain('rfq:create');
    expect(permissionsOf('supplier')).not.toContain('rfq:create');
    expect(permissionsOf('supplier')).toContain('quote:submit');
    for (const role of SELF_SERVICE_ROLES) {
      for (const permission of ['company:verify', 'user:manage', 'rules:edit', 'admin:read', 'dead-letters:replay'] as const) {
        expect(permissionsOf(role)).not.toContain(permission);
      }
    }
    expect(permissionsOf('super_admin')).toEqual([...PERMISSIONS]);
    expect(permissionsOf('admin')).toEqual(expect.arrayContaining(['company:verify', 'user:manage', 'rules:edit']));
  });

  it('admins are never a self-service role', () => {
    for (const role of ADMIN_ROLES) {
      expect(isAdminRole(role)).toBe(true);
      expect(SELF_SERVICE_ROLES as readonly string[]).not.toContain(role);
    }
    expect(isAdminRole('buyer')).toBe(false);
  });

  it('hands out copies, so a caller cannot widen a role', () => {
    permissionsOf('buyer').push('user:manage');
    expect(permissionsOf('buyer')).not.toContain('user:manage');
  });
});
