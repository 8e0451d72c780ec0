import type { FastifyBaseLogger } from 'fastify';
import { EVENT_CATALOG, TOPICS } from '@foodxchange/contracts';
import type { AggregateLocks } from '@foodxchange/service-kit';
import type { AuditEventModel } from '../audit/model.js';
import { applyToAggregate, reduceOrder } from './events.js';
import type { StatsModels } from './model.js';

/** Orders dated per run at most: the read model's order documents are few; this bounds one pass. */
const BATCH = 500;

/**
 * Dates the orders the read model stored before it kept creation times (their documents have no
 * createdAt): their order.created was consumed then, so it is not delivered again. The audit log
 * recorded it (unless its retention has removed it since): each such event is folded in through
 * the same reducer and lock as a delivery, so running this twice, on several replicas at once or
 * beside the live consumer changes nothing more. Returns how many orders it looked up.
 */
export async function backfillOrderCreation(
  models: StatsModels,
  auditEvents: AuditEventModel,
  locks: AggregateLocks,
  log?: FastifyBaseLogger,
): Promise<number> {
  // `null` also matches an absent field (MongoDB 7 and FerretDB 1.24 alike).
  const undated = await models.orders.find({ createdAt: null }, { _id: 1 }).limit(BATCH).lean<{ _id: string }[]>();
  if (undated.length === 0) return 0;
  const ids = undated.map((order) => order._id);
  const recorded = await auditEvents.find({ type: EVENT_CATALOG[TOPICS.orderCreated].type, subject: { $in: ids } }, { subject: 1, time: 1, data: 1 }).lean();
  let dated = 0;
  for (const event of recorded) {
    let data: { orderId?: unknown; status?: unknown; currency?: unknown; totalMinor?: unknown; createdAt?: unknown };
    try {
      data = JSON.parse(event.data) as typeof data;
    } catch {
      continue;
    }
    if (data.orderId !== event.subject) continue;
    const createdAt = typeof data.createdAt === 'string' ? new Date(data.createdAt) : event.time;
    await applyToAggregate(
      locks,
      models.orders,
      event.subject,
      reduceOrder(event.subject, {
        state: typeof data.status === 'string' ? data.status : 'pending_compliance',
        at: event.time,
        currency: typeof data.currency === 'string' ? data.currency : undefined,
        totalMinor: typeof data.totalMinor === 'number' ? data.totalMinor : undefined,
        createdAt,
      }),
    );
    dated += 1;
  }
  log?.info({ undated: ids.length, dated }, 'stats: dated the orders stored before creation days were kept, from the audit log');
  return ids.length;
}
