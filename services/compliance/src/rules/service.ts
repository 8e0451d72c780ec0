import { ConflictError, NotFoundError, ValidationError } from '@foodxchange/service-kit';
import { marketCodeProblem, marketForCountry } from '../markets/markets.js';
import { DEFAULT_RULE_SETS, type RuleSetDefinition } from './defaults.js';
import type { RuleSetDoc, RuleSetModel } from './model.js';
import type { RuleSetRules } from './evaluate.js';

/** What the API returns for a rule set. */
export interface RuleSetView extends RuleSetDefinition {
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** The replaceable part of a rule set (PUT body minus the concurrency token). */
export type RuleSetInput = Omit<RuleSetDefinition, 'market' | 'countries' | 'anyOfCertifications' | 'description' | 'expiryWarningDays'> &
  Partial<Pick<RuleSetDefinition, 'countries' | 'anyOfCertifications' | 'description' | 'expiryWarningDays'>>;

export function toView(doc: RuleSetDoc): RuleSetView {
  return {
    market: doc._id,
    name: doc.name,
    description: doc.description ?? '',
    countries: [...(doc.countries ?? [])],
    requiredCertifications: [...doc.requiredCertifications],
    anyOfCertifications: [...(doc.anyOfCertifications ?? [])],
    allergenLabelling: { required: doc.allergenLabelling.required, allergens: [...doc.allergenLabelling.allergens] },
    originTracking: { required: doc.originTracking.required },
    expiryWarningDays: doc.expiryWarningDays ?? 30,
    version: doc.version,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
  };
}

export function toRules(view: RuleSetView): RuleSetRules {
  return {
    market: view.market,
    version: view.version,
    requiredCertifications: view.requiredCertifications,
    anyOfCertifications: view.anyOfCertifications,
    allergenLabelling: view.allergenLabelling,
    originTracking: view.originTracking,
    expiryWarningDays: view.expiryWarningDays,
  };
}

/**
 * Creates the default rule sets that don't exist yet. Idempotent and safe with several replicas
 * starting at once: an upsert of `$setOnInsert` only, so an admin's edits are never overwritten.
 */
export async function seedDefaultRuleSets(model: RuleSetModel, now = new Date()): Promise<number> {
  let created = 0;
  for (const definition of DEFAULT_RULE_SETS) {
    try {
      const result = await model.updateOne(
        { _id: definition.market },
        { $setOnInsert: { ...definition, version: 1, createdAt: now, updatedAt: now } },
        { upsert: true },
      );
      created += result.upsertedCount ?? 0;
    } catch (error) {
      // Two replicas upserting the same new _id: the other one inserted it, which is the goal.
      if ((error as { code?: number }).code !== 11000) throw error;
    }
  }
  return created;
}

export async function listRuleSets(model: RuleSetModel, filter: { country?: string } = {}): Promise<RuleSetView[]> {
  const docs = await model.find().sort({ _id: 1 }).lean<RuleSetDoc[]>();
  if (!filter.country) return docs.map(toView);
  const market = marketForCountry(filter.country, docs.map((doc) => doc._id));
  return docs.filter((doc) => doc._id === market).map(toView);
}

export async function getRuleSet(model: RuleSetModel, market: string): Promise<RuleSetView> {
  const doc = await model.findById(market).lean<RuleSetDoc>();
  if (!doc) throw new NotFoundError(`Rule set for market ${market}`);
  return toView(doc);
}

/** Markets that have a rule set (for the country → market mapping). */
export async function knownMarkets(model: RuleSetModel): Promise<string[]> {
  return (await model.find().select({ _id: 1 }).lean<{ _id: string }[]>()).map((doc) => doc._id);
}

/**
 * Replaces a market's rule set if its current version is `expectedVersion` (0 = create a new
 * market). One conditional write: a concurrent editor who read the same version loses with 409.
 */
export async function replaceRuleSet(
  model: RuleSetModel,
  market: string,
  input: RuleSetInput,
  expectedVersion: number,
  now = new Date(),
): Promise<RuleSetView> {
  const problem = marketCodeProblem(market);
  if (problem) throw new ValidationError('Invalid market', { 'params.market': [problem] });
  const fields = {
    market,
    name: input.name,
    description: input.description ?? '',
    countries: input.countries ?? [],
    requiredCertifications: input.requiredCertifications,
    anyOfCertifications: input.anyOfCertifications ?? [],
    allergenLabelling: {
      required: input.allergenLabelling.required,
      // Allergen codes are lower case platform-wide (contracts' EU_ALLERGENS): store them so.
      allergens: [...new Set(input.allergenLabelling.allergens.map((code) => code.trim().toLowerCase()))],
    },
    originTracking: { required: input.originTracking.required },
    expiryWarningDays: input.expiryWarningDays ?? 30,
    updatedAt: now,
  };

  if (expectedVersion === 0) {
    try {
      const doc = await model.create({ _id: market, ...fields, version: 1, createdAt: now });
      return toView(doc.toObject());
    } catch (error) {
      if ((error as { code?: number }).code !== 11000) throw error;
      throw await versionConflict(model, market, expectedVersion);
    }
  }

  const result = await model.updateOne({ _id: market, version: expectedVersion }, { $set: fields, $inc: { version: 1 } });
  if (result.matchedCount === 0) throw await versionConflict(model, market, expectedVersion);
  return getRuleSet(model, market);
}

async function versionConflict(model: RuleSetModel, market: string, expectedVersion: number): Promise<Error> {
  const current = await model.findById(market).select({ version: 1 }).lean<{ version: number }>();
  if (!current) return new NotFoundError(`Rule set for market ${market}`);
  return new ConflictError(
    `Rule set ${market} is at version ${current.version}, not ${expectedVersion}: reload it and apply your change again`,
    { market, expectedVersion, currentVersion: current.version },
  );
}
