import type { FoodXchangeEvent } from '@foodxchange/contracts';
import type { EventHandlerContext } from '@foodxchange/service-kit';
import { auditEventModel } from './model.js';

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
      partition,
      offset,
      recordedAt: new Date(),
    });
  } catch (error) {
    if ((error as { code?: number }).code !== 11000) throw error;
    log.debug({ eventId: event.id }, 'audit: event already recorded');
  }
}
