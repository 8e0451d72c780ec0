import { Schema, type Connection, type Model } from 'mongoose';

/**
 * One event as it was seen on Kafka. `_id` is the CloudEvents id, so recording the same event
 * twice is a duplicate-key error (the exactly-once invariant is the unique `_id`). `data` is kept
 * as JSON text: its keys belong to the event's producer, not to this database.
 */
export interface AuditEventDoc {
  _id: string;
  topic: string;
  type: string;
  source: string;
  subject: string;
  correlationId: string;
  time: Date;
  dataschema: string;
  data: string;
  /** The companies the event concerns (companyId, buyerCompanyId, supplierCompanyId, matched suppliers…), for the company filter. */
  companyIds: string[];
  partition: number;
  offset: string;
  recordedAt: Date;
}

const AuditEventSchema = new Schema<AuditEventDoc>(
  {
    _id: { type: String, required: true },
    topic: { type: String, required: true },
    type: { type: String, required: true },
    source: { type: String, required: true },
    subject: { type: String, required: true },
    correlationId: { type: String, required: true },
    time: { type: Date, required: true },
    dataschema: { type: String, required: true },
    data: { type: String, required: true },
    companyIds: { type: [String], default: [] },
    partition: { type: Number, required: true },
    offset: { type: String, required: true },
    recordedAt: { type: Date, required: true },
  },
  { collection: 'audit_events', versionKey: false },
);
// Newest-first listings, alone or under one filter (FerretDB 1.x scans anyway; MongoDB 7 uses them).
AuditEventSchema.index({ time: -1 });
AuditEventSchema.index({ topic: 1, time: -1 });
AuditEventSchema.index({ subject: 1, time: -1 });
AuditEventSchema.index({ correlationId: 1, time: -1 });
AuditEventSchema.index({ companyIds: 1, time: -1 });
// The retention job deletes by the time an entry was recorded.
AuditEventSchema.index({ recordedAt: 1 });

export type AuditEventModel = Model<AuditEventDoc>;

export function auditEventModel(connection: Connection): AuditEventModel {
  return (connection.models.AuditEvent as AuditEventModel) ?? connection.model<AuditEventDoc>('AuditEvent', AuditEventSchema);
}
