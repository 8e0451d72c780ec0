import { ConflictError, NotFoundError, ValidationError } from '@foodxchange/service-kit';
import { marketCodeProblem, marketForCountry } from '../markets/markets.js';
import { DEFAULT_RULE_SETS, type RuleSetDefinition } from './defaults.js';
import { versionId, type RuleModels, type RuleSetDoc, type RuleSetModel, type RuleSetVersionDoc } from './model.js';
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
 * starting at once: version 1 goes into the history (a duplicate is fine) and the current rule
 * set is an upsert of `$setOnInsert` only, so an admin's edits are never overwritten.
 */
export async function seedDefaultRuleSets(models: RuleModels, now = new Date()): Promise<number> {
  let created = 0;
  for (const definition of DEFAULT_RULE_SETS) {
    await ignoreDuplicate(models.versions.create({ _id: versionId(definition.market, 1), ...definition, version: 1, createdAt: now }));
    const result = await ignoreDuplicate(
      models.ruleSets.updateOne(
        { _id: definition.market },
        { $setOnInsert: { ...definition, version: 1, createdAt: now, updatedAt: now } },
        { upsert: true },
      ),
    );
    created += result?.upsertedCount ?? 0;
  }
  return created;
}

/** Two replicas inserting the same new _id: the other one did it, which is the goal. */
async function ignoreDuplicate<T>(write: Promise<T>): Promise<T | undefined> {
  try {
    return await write;
  } catch (error) {
    if ((error as { code?: number }).code !== 11000) throw error;
    return undefined;
  }
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
 * market). Writes: the next version is inserted into the history under `<market>@<N+1>` — the
 * unique claim that makes a concurrent editor who read the same version lose with 409 — then the
 * current rule set is set to it. An editor who finds the next version claimed but not yet applied
 * (its writer is slow or died between the two writes) applies it (idempotent) before answering
 * 409, so the current rule set never stays behind its history.
 */
export async function replaceRuleSet(
  models: RuleModels,
  market: string,
  input: RuleSetInput,
  expectedVersion: number,
  now = new Date(),
): Promise<RuleSetView> {
  const problem = marketCodeProblem(market);
  if (problem) throw new ValidationError('Invalid market', { 'params.market': [problem] });

  const current = await models.ruleSets.findById(market).select({ version: 1 }).lean<{ version: number }>();
  if (!current && expectedVersion > 0) throw new NotFoundError(`Rule set for market ${market}`);
  const currentVersion = current?.version ?? 0;
  if (currentVersion !== expectedVersion) throw versionConflict(market, expectedVersion, currentVersion);

  const next = expectedVersion + 1;
  const definition: RuleSetDefinition = {
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
  };
  try {
    await models.versions.create({ _id: versionId(market, next), ...definition, version: next, createdAt: now });
  } catch (error) {
    if ((error as { code?: number }).code !== 11000) throw error;
    await applyVersion(models, market, next);
    throw versionConflict(market, expectedVersion, next);
  }
  await applyVersion(models, market, next, { ...definition, version: next, createdAt: now, _id: versionId(market, next) });
  return getRuleSet(models.ruleSets, market);
}

/** Makes the current rule set equal to history version `version`, unless it is already past it. */
async function applyVersion(models: RuleModels, market: string, version: number, known?: RuleSetVersionDoc): Promise<void> {
  const doc = known ?? (await models.versions.findById(versionId(market, version)).lean<RuleSetVersionDoc>());
  if (!doc) return;
  const { _id: _versionId, createdAt, ...definition } = doc;
  await ignoreDuplicate(
    models.ruleSets.updateOne(
      { _id: market, version: { $lt: version } },
      { $set: { ...definition, market, version, updatedAt: createdAt }, $setOnInsert: { createdAt } },
      // Version 1 creates the market; later versions only ever move an existing one forward.
      { upsert: version === 1 },
    ),
  );
}

/** The history of a market's rule set, newest first. */
export async function listRuleSetVersions(
  models: RuleModels,
  market: string,
  page: { page: number; limit: number },
): Promise<{ items: RuleSetVersionView[]; total: number }> {
  const [docs, total] = await Promise.all([
    models.versions
      .find({ market })
      .sort({ version: -1 })
      .skip((page.page - 1) * page.limit)
      .limit(page.limit)
      .lean<RuleSetVersionDoc[]>(),
    models.versions.countDocuments({ market }),
  ]);
  if (total === 0) await getRuleSet(models.ruleSets, market); // 404 for an unknown market
  return {
    items: docs.map(({ _id: _id, createdAt, ...rest }) => ({ ...rest, countries: [...rest.countries], createdAt: createdAt.toISOString() })),
    total,
  };
}

export type RuleSetVersionView = RuleSetDefinition & { version: number; createdAt: string };

function versionConflict(market: string, expectedVersion: number, currentVersion: number): ConflictError {
  return new ConflictError(
    `Rule set ${market} is at version ${currentVersion}, not ${expectedVersion}: reload it and apply your change again`,
    { market, expectedVersion, currentVersion },
  );
}
