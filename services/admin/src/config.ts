import { Type } from '@sinclair/typebox';
import type { ServiceConfig } from '@foodxchange/service-kit';

export const adminConfig = {
  AUDIT_RETENTION_DAYS: Type.Number({
    exclusiveMinimum: 0,
    default: 90,
    description: 'Audit log entries recorded longer ago than this are removed (fractions of a day allowed)',
  }),
  AUDIT_RETENTION_INTERVAL_MS: Type.Integer({
    minimum: 100,
    default: 3_600_000,
    description: 'How often each replica runs the audit retention (the deletion is idempotent: replicas need no coordination)',
  }),
};

export type AdminConfig = ServiceConfig<typeof adminConfig>;

export const DAY_MS = 24 * 3600 * 1000;
