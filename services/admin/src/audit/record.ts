import type { FoodXchangeEvent } from '@foodxchange/contracts';
import type { EventHandlerContext } from '@foodxchange/service-kit';
import { auditEventModel } from './model.js';

/** Fields of event data that name a company, at the top level or in the arrays below. */
const COMPANY_FIELDS = ['companyId', 'buyerCompanyId', 'supplierCompanyId'] as const;
const COMPANY_ARRAYS = ['matches', 'rejectedQuotes'] as const;
const MAX_COMPANIES = 100;

/**
 * The companies an event concerns, as its data names them: the company of a user or company
 * event, both parties of an RFQ, quote or order, every matched supplier and the suppliers whose
 * quotes an award rejected. Deduplicated and bounded.
 */
export function companiesOf(data: unknown): string[] {
  const found = new Set<string>();
  const take = (value: unknown) => {
    if (typeof value === 'string' && value.length > 0 && value.length <= 200 && found.size < MAX_COMPANIES) found.add(value);
  };
  if (typeof data !== 'object' || data === null) return [];
  const record = data as Record<string, unknown>;
  for (const field of COMPANY_FIELDS) take(record[field]);
  for (const field of COMPANY_ARRAYS) {
    const items = record[field];
    if (Array.isArray(items)) for (const item of items) if (typeof item === 'object' && item !== null) take((item as Record<string, unknown>).supplierCompanyId);
  }
  if (Array.isArray(record.matchedSupplierCompanyIds)) for (const id of record.matchedSupplierCompanyIds) take(id);
  return [...found];
}

/**
 * The audit consumer: one handler for every contract topic. Inserting under the event id makes a
 * redelivery (or the same event produced twice) a duplicate key, which means "already recorded".
 */
export async function recordAuditEvent(event: FoodXchangeEvent, { app, topic, partition, offset, log }: EventHandlerContext): Promise<void> {
  try {
    await auditEventModel(app.mongo).create({
      _id: event.id,
      topic,
      type: event.type,
      source: event.source,
      subject: event.subject,
      correlationId: event.correlationid,
      time: new Date(event.time),
      dataschema: event.dataschema,
      data: JSON.stringify(event.data),
      companyIds: companiesOf(event.data),
      partition,
      offset,
      recordedAt: new Date(),
    });
  } catch (error) {
    if ((error as { code?: number }).code !== 11000) throw error;
    log.debug({ eventId: event.id }, 'audit: event already recorded');
  }
}
