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

/**
 * Every accepted version of a market's rule set, `_id` = `<market>@<version>`. Inserting the next
 * version is the exactly-once guard of a replace (DESIGN.md rule 2): two editors who both read
 * version N race for `<market>@<N+1>` and one gets 11000 → 409. (A conditional `updateOne` on
 * `version` alone is not enough: on FerretDB 1.x concurrent ones can all match — a lost update.)
 * It is also the rule set's history: which rules applied when.
 */
export interface RuleSetVersionDoc extends RuleSetDefinition {
  _id: string;
  version: number;
  /** When this version was accepted. */
  createdAt: Date;
}

const RuleSetVersionSchema = new Schema<RuleSetVersionDoc>(
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
  },
  { collection: 'rule_set_versions', versionKey: false },
);
RuleSetVersionSchema.index({ market: 1, version: -1 });

export type RuleSetVersionModel = Model<RuleSetVersionDoc>;

export function ruleSetVersionModel(connection: Connection): RuleSetVersionModel {
  return (
    (connection.models.RuleSetVersion as RuleSetVersionModel) ??
    connection.model<RuleSetVersionDoc>('RuleSetVersion', RuleSetVersionSchema)
  );
}

export interface RuleModels {
  ruleSets: RuleSetModel;
  versions: RuleSetVersionModel;
}

export function versionId(market: string, version: number): string {
  return `${market}@${version}`;
}
