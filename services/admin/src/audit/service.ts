import { NotFoundError, ValidationError } from '@foodxchange/service-kit';
import type { AuditEventDoc, AuditEventModel } from './model.js';
import type { AuditEventView, AuditQuery } from './schemas.js';

function parseData(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function toAuditView(doc: AuditEventDoc): AuditEventView {
  return {
    id: doc._id,
    type: doc.type,
    topic: doc.topic,
    source: doc.source,
    subject: doc.subject,
    correlationId: doc.correlationId,
    time: doc.time.toISOString(),
    dataschema: doc.dataschema,
    data: parseData(doc.data),
    companyIds: doc.companyIds ?? [],
    partition: doc.partition,
    offset: doc.offset,
    recordedAt: doc.recordedAt.toISOString(),
  };
}

/** A [from, to) time filter; an empty or inverted range is the caller's mistake. */
export function timeRange(from: string | undefined, to: string | undefined): Record<string, Date> | undefined {
  if (!from && !to) return undefined;
  const range: Record<string, Date> = {};
  if (from) range.$gte = new Date(from);
  if (to) range.$lt = new Date(to);
  if (range.$gte && range.$lt && range.$gte >= range.$lt) {
    throw new ValidationError('Empty time range', { 'querystring.to': ['must be after from'] });
  }
  return range;
}

export async function listAuditEvents(model: AuditEventModel, query: AuditQuery): Promise<{ items: AuditEventView[]; total: number }> {
  const filter: Record<string, unknown> = {};
  if (query.topic) filter.topic = query.topic;
  if (query.type) filter.type = query.type;
  if (query.source) filter.source = query.source;
  if (query.subject) filter.subject = query.subject;
  if (query.correlationId) filter.correlationId = query.correlationId;
  // Equality on an array field matches its members (dot-notation equality: DESIGN.md "works").
  if (query.companyId) filter.companyIds = query.companyId;
  const time = timeRange(query.from, query.to);
  if (time) filter.time = time;
  const [docs, total] = await Promise.all([
    model
      .find(filter)
      .sort({ time: -1, _id: -1 })
      .skip((query.page - 1) * query.limit)
      .limit(query.limit)
      .lean<AuditEventDoc[]>(),
    model.countDocuments(filter),
  ]);
  return { items: docs.map(toAuditView), total };
}

export async function getAuditEvent(model: AuditEventModel, eventId: string): Promise<AuditEventView> {
  const doc = await model.findById(eventId).lean<AuditEventDoc>();
  if (!doc) throw new NotFoundError(`Audit event ${eventId}`);
  return toAuditView(doc);
}
