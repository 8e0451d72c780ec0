import { Schema, type Connection, type Model } from 'mongoose';
import type { RuleSetDefinition } from './defaults.js';

/** One market's rule set; `_id` is the market code. Small collection (a handful of markets). */
export interface RuleSetDoc extends RuleSetDefinition {
  _id: string;
  /** Starts at 1; every accepted replace increments it (optimistic concurrency token). */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

const AllergenLabellingSchema = new Schema(
  { required: { type: Boolean, required: true }, allergens: { type: [String], default: [] } },
  { _id: false },
);
const OriginTrackingSchema = new Schema({ required: { type: Boolean, required: true } }, { _id: false });

const RuleSetSchema = new Schema<RuleSetDoc>(
  {
    _id: { type: String, required: true },
    market: { type: String, required: true },
    name: { type: String, required: true },
    description: { type: String, default: '' },
    countries: { type: [String], default: [] },
    requiredCertifications: { type: [String], default: [] },
    anyOfCertifications: { type: [String], default: [] },
    allergenLabelling: { type: AllergenLabellingSchema, required: true },
    originTracking: { type: OriginTrackingSchema, required: true },
    expiryWarningDays: { type: Number, default: 30 },
    version: { type: Number, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'rule_sets', versionKey: false },
);

export type RuleSetModel = Model<RuleSetDoc>;

export function ruleSetModel(connection: Connection): RuleSetModel {
  return (connection.models.RuleSet as RuleSetModel) ?? connection.model<RuleSetDoc>('RuleSet', RuleSetSchema);
}
