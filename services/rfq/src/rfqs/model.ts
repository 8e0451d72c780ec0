import { Schema, type Connection, type Model } from 'mongoose';
import { outboxPlugin, type OutboxFields } from '@foodxchange/service-kit';
import type { RfqStatus } from '@foodxchange/contracts';

export interface RfqItemDoc {
  id: string;
  name: string;
  category: string;
  quantity: number;
  unit: string;
  targetUnitPriceMinor?: number;
  currency?: string;
  description?: string;
}

/** One supplier catalog's matcher found for the RFQ (the rfq.matched entry, kept as it came). */
export interface MatchDoc {
  supplierCompanyId: string;
  companyName: string;
  score: number;
  matchedItems: { rfqItemId?: string; name: string; productIds?: string[]; reason?: string }[];
  matchedItemCount?: number;
  missingCertifications: string[];
  verified: boolean;
}

export const TIMELINE_TYPES = [
  'created',
  'matched',
  'quote_submitted',
  'quote_revised',
  'quote_withdrawn',
  'awarded',
  'order_created',
  'reopened',
  'cancelled',
  'expired',
] as const;
export type TimelineType = (typeof TIMELINE_TYPES)[number];

/** One entry of an RFQ's history: every status change, and the quote and order steps around them. */
export interface TimelineEntry {
  type: TimelineType;
  at: Date;
  /** The RFQ's status after this entry. */
  status: RfqStatus;
  /** User id, or `system` for the saga's and the scheduler's steps. */
  by: string;
  round: number;
  note?: string;
  quoteId?: string;
  /** Quote entries: whose quote (suppliers see only their own quote entries). */
  supplierCompanyId?: string;
  orderId?: string;
  matchCount?: number;
}

/**
 * The RFQ aggregate: what the buyer asked for, the matches, its status and timeline, and its
 * outbox (rfq.created, rfq.cancelled). Every write after the insert happens under the lock
 * `rfq:<id>` (quotes and awards of the RFQ too), so status checks and changes never race.
 */
export interface RfqDoc extends OutboxFields {
  _id: string;
  number: string;
  /** UTC year and sequence the number was made from (unique per year). */
  numberYear: number;
  numberSeq: number;
  title: string;
  buyerCompanyId: string;
  buyerUserId: string;
  items: RfqItemDoc[];
  categories: string[];
  requiredCertifications: string[];
  deliveryCountry: string;
  market: string;
  /** As the buyer gave it: an ISO date or a date-time. */
  deliveryDate: string;
  responseDeadline: Date;
  status: RfqStatus;
  /** Award round: 1, plus one for every reopening after a rejected order. */
  round: number;
  matches: MatchDoc[];
  /** Ids of the matched suppliers: what supplier reads and lists filter on (dot-notation equality). */
  matchedSupplierIds: string[];
  matchedAt?: Date;
  matchEventId?: string;
  /** Quotes in `submitted` (awardable): decides when the RFQ expires. */
  liveQuoteCount: number;
  /** When the scheduler expires it if it is still open. Written only through `expiryFields`. */
  expiresAt: Date;
  /**
   * The minute the scheduler looks this RFQ up by (`expirySlotOf`): `expiresAt`'s, or the write's
   * when `expiresAt` was already past then. Missing on RFQs written before slots existed (or by an
   * older replica): the scheduler's sweep finds those and gives them theirs.
   */
  expirySlot?: string;
  /** When it last went back to `open` after a rejected order (the award window restarts then). */
  reopenedAt?: Date | null;
  awardedQuoteId?: string | null;
  timeline: TimelineEntry[];
  createdAt: Date;
  updatedAt: Date;
}

const ItemSchema = new Schema<RfqItemDoc>(
  {
    id: { type: String, required: true },
    name: { type: String, required: true },
    category: { type: String, required: true },
    quantity: { type: Number, required: true },
    unit: { type: String, required: true },
    targetUnitPriceMinor: Number,
    currency: String,
    description: String,
  },
  { _id: false },
);

const MatchSchema = new Schema<MatchDoc>(
  {
    supplierCompanyId: { type: String, required: true },
    companyName: { type: String, required: true },
    score: { type: Number, required: true },
    matchedItems: {
      type: [new Schema({ rfqItemId: String, name: { type: String, required: true }, productIds: { type: [String], default: undefined }, reason: String }, { _id: false })],
      default: [],
    },
    matchedItemCount: Number,
    missingCertifications: { type: [String], default: [] },
    verified: { type: Boolean, required: true },
  },
  { _id: false },
);

const TimelineSchema = new Schema<TimelineEntry>(
  {
    type: { type: String, required: true, enum: TIMELINE_TYPES },
    at: { type: Date, required: true },
    status: { type: String, required: true },
    by: { type: String, required: true },
    round: { type: Number, required: true },
    note: String,
    quoteId: String,
    supplierCompanyId: String,
    orderId: String,
    matchCount: Number,
  },
  { _id: false },
);

const RfqSchema = new Schema<RfqDoc>(
  {
    _id: { type: String, required: true },
    number: { type: String, required: true },
    numberYear: { type: Number, required: true },
    numberSeq: { type: Number, required: true },
    title: { type: String, required: true },
    buyerCompanyId: { type: String, required: true },
    buyerUserId: { type: String, required: true },
    items: { type: [ItemSchema], required: true },
    categories: { type: [String], default: [] },
    requiredCertifications: { type: [String], default: [] },
    deliveryCountry: { type: String, required: true },
    market: { type: String, required: true },
    deliveryDate: { type: String, required: true },
    responseDeadline: { type: Date, required: true },
    status: { type: String, required: true },
    round: { type: Number, required: true, default: 1 },
    matches: { type: [MatchSchema], default: [] },
    matchedSupplierIds: { type: [String], default: [] },
    matchedAt: Date,
    matchEventId: String,
    liveQuoteCount: { type: Number, required: true, default: 0 },
    expiresAt: { type: Date, required: true },
    expirySlot: String,
    reopenedAt: { type: Date, default: null },
    awardedQuoteId: { type: String, default: null },
    timeline: { type: [TimelineSchema], default: [] },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'rfqs', versionKey: false },
);
RfqSchema.plugin(outboxPlugin);
// A write that moves the expiry later than its slot would hide the RFQ from the scheduler's slot
// rounds until the hourly sweep: refused, so a new write path cannot forget `expiryFields`.
RfqSchema.pre('validate', function refuseExpiryWithoutSlot() {
  if (this.isModified('expiresAt') && (!this.expirySlot || this.expirySlot < expirySlotOf(this.expiresAt))) {
    throw new Error('RFQ expiresAt was set without its expirySlot: set both with expiryFields()');
  }
});
// The number is unique (the guarantee behind the allocator in numbers.ts).
RfqSchema.index({ number: 1 }, { unique: true });
RfqSchema.index({ numberYear: 1, numberSeq: -1 });
// Buyer lists: equality on the company, newest first.
RfqSchema.index({ buyerCompanyId: 1, createdAt: -1 });
RfqSchema.index({ buyerCompanyId: 1, status: 1, createdAt: -1 });
// Supplier lists: equality on an array member.
RfqSchema.index({ matchedSupplierIds: 1, createdAt: -1 });
// The expiry scheduler's rounds: equality on the slot (served on the local server, unlike a range).
RfqSchema.index({ expirySlot: 1, status: 1 });
// Its hourly sweep: open RFQs past their expiry, whatever their slot (a range: MongoDB serves it).
RfqSchema.index({ status: 1, expiresAt: 1 });

export type RfqModel = Model<RfqDoc>;

/** Expiry slots are one minute: a round (every minute by default) reads one or two of them. */
export const EXPIRY_SLOT_MS = 60_000;

/**
 * The expiry slot of an instant: its UTC minute, e.g. `2026-12-01T14:39` for 14:39:00.000–14:39:59.999.
 * The scheduler asks for each slot by equality because the local server cannot serve the range
 * `expiresAt <= now` (it decodes every open RFQ, matches and timeline included, each round), while an
 * equality on an indexed field is served by the launcher's GIN companions. Text sorts as time.
 */
export function expirySlotOf(at: Date): string {
  return at.toISOString().slice(0, 16);
}

/** The first instant of a slot (`expirySlotOf`'s inverse). */
export function expirySlotStart(slot: string): number {
  return Date.parse(`${slot}:00.000Z`);
}

/**
 * The fields every write that sets `expiresAt` sets: the instant and its slot. An expiry already
 * past when written (the last quote withdrawn after the deadline, a reopening without live quotes)
 * goes in the write's own slot: the scheduler has read the past slots already and would not look
 * there again, while the current one it reads next.
 */
export function expiryFields(expiresAt: Date, writtenAt = new Date()): { expiresAt: Date; expirySlot: string } {
  return { expiresAt, expirySlot: expirySlotOf(new Date(Math.max(expiresAt.getTime(), writtenAt.getTime()))) };
}

export function rfqModel(connection: Connection): RfqModel {
  return (connection.models.Rfq as RfqModel) ?? connection.model<RfqDoc>('Rfq', RfqSchema);
}

/** The lock every writer of one RFQ (and of its quotes and awards) holds. */
export const rfqLockKey = (rfqId: string) => `rfq:${rfqId}`;
