import { Schema, type Connection, type Model } from 'mongoose';

/**
 * The platform stats read model: one small document of current state per aggregate (user,
 * company, product, RFQ, quote, order, compliance verdict), keyed by the aggregate's id. The
 * counts of GET /admin/stats are computed from these documents, never kept as counters: a
 * redelivered event rewrites the same state, and an event that arrives late is weighed against
 * the state's version (or its lifecycle rank, or its event time) before it may change it.
 */

/** A user account: its role never changes, so the first `user.registered` is the whole state. */
export interface StatsUserDoc {
  _id: string;
  role: string;
  at: Date;
}

/** A company: it exists once any of its events was seen; verification is never withdrawn. */
export interface StatsCompanyDoc {
  _id: string;
  verified: boolean;
  at: Date;
}

/** A product's latest snapshot (by version, else event time); deletion is final. */
export interface StatsProductDoc {
  _id: string;
  status: string;
  deleted: boolean;
  version: number | null;
  at: Date;
}

/**
 * An RFQ: its state (null while only its matching was seen) and the number of suppliers its
 * latest matching found (null until matching ran).
 */
export interface StatsRfqDoc {
  _id: string;
  state: string | null;
  stateAt: Date | null;
  matchCount: number | null;
  matchedAt: Date | null;
}

/** A quote: counted once. */
export interface StatsQuoteDoc {
  _id: string;
  rfqId: string;
  at: Date;
}

/**
 * An order: its furthest state, its currency and total once an event carried them, and when it
 * was created (from its `order.created`: the data's createdAt, else the event time; null until
 * that event was seen). `createdDay` is createdAt's UTC calendar day, YYYY-MM-DD, kept beside it
 * so the per-day figures group on a plain field (FerretDB 1.24 has no date operators in $group).
 * Documents written before these fields existed lack them: read absent as null.
 */
export interface StatsOrderDoc {
  _id: string;
  state: string | null;
  stateAt: Date | null;
  currency: string | null;
  totalMinor: number | null;
  createdAt?: Date | null;
  createdDay?: string | null;
}

/** The latest compliance verdict on an order (keyed by order id: a re-check replaces it). */
export interface StatsComplianceDoc {
  _id: string;
  checkId: string;
  passed: boolean;
  at: Date;
}

const options = { versionKey: false, strict: true } as const;

const schemas = {
  StatsUser: new Schema<StatsUserDoc>(
    { _id: { type: String, required: true }, role: { type: String, required: true }, at: { type: Date, required: true } },
    { ...options, collection: 'stats_users' },
  ),
  StatsCompany: new Schema<StatsCompanyDoc>(
    { _id: { type: String, required: true }, verified: { type: Boolean, required: true }, at: { type: Date, required: true } },
    { ...options, collection: 'stats_companies' },
  ),
  StatsProduct: new Schema<StatsProductDoc>(
    {
      _id: { type: String, required: true },
      status: { type: String, required: true },
      deleted: { type: Boolean, required: true },
      version: { type: Number, default: null },
      at: { type: Date, required: true },
    },
    { ...options, collection: 'stats_products' },
  ),
  StatsRfq: new Schema<StatsRfqDoc>(
    {
      _id: { type: String, required: true },
      state: { type: String, default: null },
      stateAt: { type: Date, default: null },
      matchCount: { type: Number, default: null },
      matchedAt: { type: Date, default: null },
    },
    { ...options, collection: 'stats_rfqs' },
  ),
  StatsQuote: new Schema<StatsQuoteDoc>(
    { _id: { type: String, required: true }, rfqId: { type: String, required: true }, at: { type: Date, required: true } },
    { ...options, collection: 'stats_quotes' },
  ),
  StatsOrder: new Schema<StatsOrderDoc>(
    {
      _id: { type: String, required: true },
      state: { type: String, default: null },
      stateAt: { type: Date, default: null },
      currency: { type: String, default: null },
      totalMinor: { type: Number, default: null },
      createdAt: { type: Date, default: null },
      createdDay: { type: String, default: null },
    },
    { ...options, collection: 'stats_orders' },
  ),
  StatsCompliance: new Schema<StatsComplianceDoc>(
    {
      _id: { type: String, required: true },
      checkId: { type: String, required: true },
      passed: { type: Boolean, required: true },
      at: { type: Date, required: true },
    },
    { ...options, collection: 'stats_compliance' },
  ),
};

export interface StatsModels {
  users: Model<StatsUserDoc>;
  companies: Model<StatsCompanyDoc>;
  products: Model<StatsProductDoc>;
  rfqs: Model<StatsRfqDoc>;
  quotes: Model<StatsQuoteDoc>;
  orders: Model<StatsOrderDoc>;
  compliance: Model<StatsComplianceDoc>;
}

function modelOf<D>(connection: Connection, name: keyof typeof schemas): Model<D> {
  return (connection.models[name] as Model<D> | undefined) ?? connection.model<D>(name, schemas[name] as unknown as Schema<D>);
}

export function statsModels(connection: Connection): StatsModels {
  return {
    users: modelOf<StatsUserDoc>(connection, 'StatsUser'),
    companies: modelOf<StatsCompanyDoc>(connection, 'StatsCompany'),
    products: modelOf<StatsProductDoc>(connection, 'StatsProduct'),
    rfqs: modelOf<StatsRfqDoc>(connection, 'StatsRfq'),
    quotes: modelOf<StatsQuoteDoc>(connection, 'StatsQuote'),
    orders: modelOf<StatsOrderDoc>(connection, 'StatsOrder'),
    compliance: modelOf<StatsComplianceDoc>(connection, 'StatsCompliance'),
  };
}
