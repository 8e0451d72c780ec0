import { randomUUID } from 'node:crypto';
import {
  ConflictError,
  NotFoundError,
  ValidationError,
  isDuplicateKeyError,
  outboxEntry,
  stageEvent,
  stagedMarks,
  OUTBOX_ENTRY_RETENTION_MS,
  type AggregateLocks,
  type EventContext,
  type OutboxEntry,
} from '@foodxchange/service-kit';
import { TOPICS, currencyExponent, fromMinorUnits, toMinorUnits, type EventData } from '@foodxchange/contracts';
import type { VersionedCache, CacheEntry } from '../cache/versioned-cache.js';
import { isLeafCategory } from '../categories/taxonomy.js';
import type { CompanyCopyModel } from '../companies/model.js';
import { certificationsValidOn, findCompanyCopy, type CompanyCopy } from '../companies/service.js';
import { deletedSkuKey, productLockKey, type ProductDoc, type ProductModel, type StoredPriceTier, type StoredTranslation } from './model.js';
import { isIsoCountry, isKnownCurrency } from './reference-data.js';
import type { OwnProductsQuery, ProductInput, ProductPatch, ProductView } from './schemas.js';

export interface ProductDeps {
  products: ProductModel;
  companies: CompanyCopyModel;
  locks: AggregateLocks;
  /** The read cache of GET /products/:id: writers set it to what they wrote. */
  cache?: VersionedCache<ProductView>;
  /** Tells the outbox relay a write staged events (so they leave now, not at its next poll). */
  published?: () => void;
}

/** Who writes: recorded as createdBy/updatedBy and in the events. */
export interface Actor {
  userId: string;
}

/** Who asks to change a product: its supplier's members, or a platform admin (moderation). */
export interface ProductEditor extends Actor {
  companyId?: string;
  admin: boolean;
}

/** A product as stored, without its outbox (what productsOfSupplier and allLiveProducts give). */
export type ProductRecord = Omit<ProductDoc, 'outbox' | 'outboxStagedAt' | 'outboxBucket'>;

// ---------------------------------------------------------------------------------------------
// Checks the schema cannot express

interface Candidate {
  language: string;
  translations?: Record<string, StoredTranslation> | null;
  category: string;
  originCountry: string;
  moq: number;
  priceTiers: ReadonlyArray<{ minQuantity: number; currency: string; unitPrice?: number }>;
  /** Checked against the company's certificates only when given (a create, or a PATCH naming them). */
  certifications?: readonly string[];
}

type FieldErrors = Record<string, string[]>;

function addError(errors: FieldErrors, path: string, message: string): void {
  (errors[path] ??= []).push(message);
}

/**
 * The semantic checks of a product (paths without `body.`): leaf category, a real country, the
 * tiers (one known currency, strictly ascending, the first at or below moq, prices exact in the
 * currency's minor units) and the claimed certifications (each held by the company with a
 * certificate valid `today`, according to the catalog's copy of the company).
 * `tiersGiven: false` (a PATCH of moq alone) reports a tier/moq clash on `moq`.
 */
export function checkProduct(candidate: Candidate, company: CompanyCopy | null, today: Date, { tiersGiven = true } = {}): FieldErrors {
  const errors: FieldErrors = {};
  if (!isLeafCategory(candidate.category)) addError(errors, 'category', 'must be a leaf slug of GET /categories, e.g. vegetables.tomatoes');
  if (!isIsoCountry(candidate.originCountry)) addError(errors, 'originCountry', 'must be an ISO 3166-1 alpha-2 country code');
  if (candidate.translations && candidate.translations[candidate.language]) {
    addError(errors, `translations.${candidate.language}`, `is the product's own language (${candidate.language}): give it as name and description`);
  }
  const tiers = candidate.priceTiers;
  const currency = tiers[0]?.currency;
  tiers.forEach((tier, index) => {
    if (!isKnownCurrency(tier.currency)) addError(errors, `priceTiers.${index}.currency`, 'must be a known ISO 4217 currency code');
    else if (tier.currency !== currency) addError(errors, `priceTiers.${index}.currency`, `must be ${currency}, the currency of the first tier (one currency per product)`);
    if (index > 0 && !(tier.minQuantity > tiers[index - 1]!.minQuantity)) {
      addError(errors, `priceTiers.${index}.minQuantity`, `must be greater than the previous tier's minQuantity (${tiers[index - 1]!.minQuantity})`);
    }
    if (tier.unitPrice !== undefined && isKnownCurrency(tier.currency)) {
      try {
        toMinorUnits(tier.unitPrice, tier.currency);
      } catch {
        addError(errors, `priceTiers.${index}.unitPrice`, `must have at most ${currencyExponent(tier.currency)} decimal place(s) in ${tier.currency}`);
      }
    }
  });
  if (tiers[0] && !(tiers[0].minQuantity <= candidate.moq)) {
    if (tiersGiven) addError(errors, 'priceTiers.0.minQuantity', `must be at or below moq (${candidate.moq}): the first tier prices the minimum order`);
    else addError(errors, 'moq', `must be at or above the first price tier's minQuantity (${tiers[0].minQuantity})`);
  }
  if (candidate.certifications && candidate.certifications.length > 0) {
    const held = new Set<string>(certificationsValidOn(company, today));
    const missing = candidate.certifications.filter((type) => !held.has(type));
    if (missing.length > 0) {
      addError(errors, 'certifications', `your company holds no certificate valid today for ${missing.join(', ')} (add it to the company first)`);
    }
  }
  return errors;
}

function prefixed(errors: FieldErrors, prefix: string): FieldErrors {
  return Object.fromEntries(Object.entries(errors).map(([path, messages]) => [`${prefix}${path}`, messages]));
}

// ---------------------------------------------------------------------------------------------
// Shapes

const CONTENT_FIELDS = [
  'sku', 'name', 'description', 'language', 'translations', 'category', 'originCountry', 'unit',
  'moq', 'currency', 'priceTiers', 'certifications', 'allergens', 'storage',
] as const satisfies readonly (keyof ProductDoc)[];

/** The fields a product's content is made of (what a change compares and what an event carries). */
type ContentFields = Pick<ProductDoc, (typeof CONTENT_FIELDS)[number]>;

function storedTiers(tiers: ProductInput['priceTiers']): StoredPriceTier[] {
  return tiers.map((tier) => ({ minQuantity: tier.minQuantity, unitPriceMinor: toMinorUnits(tier.unitPrice, tier.currency), currency: tier.currency }));
}

/** Translations without empty entries, languages in a stable order. */
function cleanTranslations(translations: Record<string, StoredTranslation | undefined> | null | undefined): Record<string, StoredTranslation> | undefined {
  if (!translations) return undefined;
  const entries = Object.entries(translations)
    .filter((entry): entry is [string, StoredTranslation] => entry[1] !== undefined && (entry[1].name !== undefined || entry[1].description !== undefined))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([language, t]) => [language, { ...(t.name !== undefined ? { name: t.name } : {}), ...(t.description !== undefined ? { description: t.description } : {}) }] as const);
  return entries.length ? Object.fromEntries(entries) : undefined;
}

function contentOf(input: ProductInput): ContentFields {
  const translations = cleanTranslations(input.translations);
  return {
    sku: input.sku,
    name: input.name,
    ...(input.description ? { description: input.description } : {}),
    language: input.language ?? 'en',
    ...(translations ? { translations } : {}),
    category: input.category,
    originCountry: input.originCountry,
    unit: input.unit,
    moq: input.moq,
    currency: input.priceTiers[0]!.currency,
    priceTiers: storedTiers(input.priceTiers),
    certifications: [...(input.certifications ?? [])],
    allergens: [...(input.allergens ?? [])],
    storage: input.storage,
  };
}

function storedContent(doc: ProductRecord): ContentFields {
  const translations = cleanTranslations(doc.translations);
  return {
    sku: doc.sku,
    name: doc.name,
    ...(doc.description ? { description: doc.description } : {}),
    language: doc.language ?? 'en',
    ...(translations ? { translations } : {}),
    category: doc.category,
    originCountry: doc.originCountry,
    unit: doc.unit,
    moq: doc.moq,
    currency: doc.currency,
    priceTiers: doc.priceTiers.map((t) => ({ minQuantity: t.minQuantity, unitPriceMinor: t.unitPriceMinor, currency: t.currency })),
    certifications: [...doc.certifications],
    allergens: [...doc.allergens],
    storage: doc.storage,
  };
}

/** The names of the fields whose values differ (order-sensitive lists count as changed when reordered). */
function changedFieldsOf(before: ContentFields, after: ContentFields): string[] {
  return CONTENT_FIELDS.filter((field) => JSON.stringify(before[field] ?? null) !== JSON.stringify(after[field] ?? null));
}

export function toProductView(doc: ProductRecord): ProductView {
  const translations = cleanTranslations(doc.translations);
  return {
    id: doc._id,
    supplierCompanyId: doc.supplierCompanyId,
    sku: doc.sku,
    name: doc.name,
    ...(doc.description ? { description: doc.description } : {}),
    language: doc.language ?? 'en',
    ...(translations ? { translations } : {}),
    category: doc.category,
    originCountry: doc.originCountry,
    unit: doc.unit,
    moq: doc.moq,
    currency: doc.currency,
    priceTiers: doc.priceTiers.map((tier) => ({
      minQuantity: tier.minQuantity,
      unitPrice: fromMinorUnits(tier.unitPriceMinor, tier.currency),
      unitPriceMinor: tier.unitPriceMinor,
      currency: tier.currency,
    })),
    certifications: [...doc.certifications],
    allergens: [...doc.allergens],
    storage: doc.storage,
    status: 'active',
    version: doc.version,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
  };
}

/** The full snapshot `product.created` / `product.updated` carry. */
export function productSnapshot(doc: ProductRecord, supplierName?: string): EventData<'product.created'> {
  const translations = cleanTranslations(doc.translations);
  return {
    productId: doc._id,
    supplierCompanyId: doc.supplierCompanyId,
    ...(supplierName ? { supplierName } : {}),
    sku: doc.sku,
    name: doc.name,
    ...(doc.description ? { description: doc.description } : {}),
    language: (doc.language ?? 'en') as EventData<'product.created'>['language'] & string,
    ...(translations ? { translations: translations as EventData<'product.created'>['translations'] } : {}),
    category: doc.category,
    originCountry: doc.originCountry,
    unit: doc.unit,
    moq: doc.moq,
    priceTiers: doc.priceTiers.map((t) => ({ minQuantity: t.minQuantity, unitPriceMinor: t.unitPriceMinor, currency: t.currency })),
    certifications: [...doc.certifications] as EventData<'product.created'>['certifications'],
    allergens: [...doc.allergens],
    storage: doc.storage,
    status: 'active',
    version: doc.version,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
  };
}

const cacheEntryOf = (doc: ProductRecord): CacheEntry<ProductView> =>
  doc.status === 'active' ? { version: doc.version, value: toProductView(doc) } : { version: doc.version, value: null };

async function refreshCache(deps: ProductDeps, docs: ProductRecord[]): Promise<void> {
  await deps.cache?.writtenMany(docs.map((doc) => [doc._id, cacheEntryOf(doc)] as const));
}

function skuConflict(sku: string): ConflictError {
  return new ConflictError(`You already have a product with sku ${sku}`, { field: 'sku', sku });
}

// ---------------------------------------------------------------------------------------------
// Reads

/** A live product, from the cache when the deps have one; deleted or unknown → 404. */
export async function getProduct(deps: Pick<ProductDeps, 'products' | 'cache'>, id: string): Promise<ProductView> {
  const load = async (): Promise<CacheEntry<ProductView> | null> => {
    const doc = await deps.products.findById(id).select({ outbox: 0 }).lean<ProductRecord>();
    return doc ? cacheEntryOf(doc) : null;
  };
  const entry = deps.cache ? await deps.cache.get(id, load) : await load();
  if (!entry?.value) throw new NotFoundError(`Product ${id}`);
  return entry.value;
}

/** Every live product of a supplier, by `_id` (the search part refreshes them in the index). */
export async function productsOfSupplier(deps: Pick<ProductDeps, 'products'>, companyId: string): Promise<ProductRecord[]> {
  return deps.products.find({ supplierCompanyId: companyId, status: 'active' }).select({ outbox: 0 }).sort({ _id: 1 }).lean<ProductRecord[]>();
}

/** `text` as a regular expression matching itself literally. */
export function literalPattern(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\\/-]/g, '\\$&');
}

/**
 * One page of a supplier's own products for managing them (GET /products/mine): read from the
 * database, not the search index, every product not deleted, newest first (`_id` breaks ties),
 * optionally only those whose name or sku contains `q` (case-insensitive, taken literally).
 */
export async function listOwnProducts(
  deps: Pick<ProductDeps, 'products'>,
  supplierCompanyId: string,
  query: OwnProductsQuery,
): Promise<{ items: ProductView[]; total: number }> {
  const filter: Record<string, unknown> = { supplierCompanyId, status: { $ne: 'deleted' } };
  const text = query.q?.trim();
  if (text) {
    const pattern = { $regex: literalPattern(text), $options: 'i' };
    filter.$or = [{ name: pattern }, { sku: pattern }];
  }
  const [docs, total] = await Promise.all([
    deps.products
      .find(filter)
      .select({ outbox: 0 })
      .sort({ createdAt: -1, _id: -1 })
      .skip((query.page - 1) * query.limit)
      .limit(query.limit)
      .lean<ProductRecord[]>(),
    deps.products.countDocuments(filter),
  ]);
  return { items: docs.map(toProductView), total };
}

/**
 * Every live product, in batches of `batchSize` (the reindex reads through it), in the server's
 * order. One cursor over one query: on the local Mongo-compatible server a sort is not pushed
 * down, so keyset pages (`_id > last` sorted, limited) would each read and sort every product,
 * and a full walk would cost the square of the catalogue's size.
 */
export async function* allLiveProducts(deps: Pick<ProductDeps, 'products'>, { batchSize = 1000 }: { batchSize?: number } = {}): AsyncGenerator<ProductRecord[]> {
  const cursor = deps.products.find({ status: 'active' }).select({ outbox: 0 }).batchSize(batchSize).lean<ProductRecord>().cursor();
  let batch: ProductRecord[] = [];
  try {
    for await (const product of cursor) {
      batch.push(product as ProductRecord);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  } finally {
    await cursor.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Writes

/**
 * Lists a product for the supplier `supplierCompanyId` (from the caller's token). Checked as
 * checkProduct says (400 with `body.` field errors); an sku the supplier already uses on a live
 * product → 409 (the unique index decides, so two concurrent creates cannot both win).
 */
export async function createProduct(
  deps: ProductDeps,
  supplierCompanyId: string,
  input: ProductInput,
  actor: Actor,
  context: EventContext,
): Promise<ProductView> {
  const now = new Date();
  const company = await findCompanyCopy(deps, supplierCompanyId);
  const errors = checkProduct({ ...input, language: input.language ?? 'en', certifications: input.certifications ?? [] }, company, now);
  if (Object.keys(errors).length > 0) throw new ValidationError('The product is invalid', prefixed(errors, 'body.'));
  const content = contentOf(input);
  const doc = new deps.products({
    _id: randomUUID(),
    supplierCompanyId,
    ...content,
    skuKey: content.sku,
    status: 'active',
    version: 1,
    createdBy: actor.userId,
    updatedBy: actor.userId,
    createdAt: now,
    updatedAt: now,
  });
  stageEvent(doc, TOPICS.productCreated, doc._id, productSnapshot(doc.toObject() as ProductRecord, company?.name), context);
  try {
    await doc.save();
  } catch (error) {
    if (isDuplicateKeyError(error)) throw skuConflict(content.sku);
    throw error;
  }
  deps.published?.();
  const saved = doc.toObject() as ProductRecord;
  await refreshCache(deps, [saved]);
  return toProductView(saved);
}

/** Loads a live product the editor may change; anyone else's (or a deleted one) is "not found". */
function assertEditable(doc: ProductDoc | null, id: string, editor: ProductEditor): asserts doc is ProductDoc {
  if (!doc || doc.status !== 'active') throw new NotFoundError(`Product ${id}`);
  // Another supplier's product is a 404, not a 403: its existence is not confirmed to outsiders.
  if (!editor.admin && doc.supplierCompanyId !== editor.companyId) throw new NotFoundError(`Product ${id}`);
}

/**
 * Applies a partial change (PATCH) by the owning supplier (or an admin): load → modify → save
 * under the product's lock. The result is checked as a whole (a new moq against the stored
 * tiers, …); claimed certifications are checked when the change names them. A change that
 * changes nothing saves nothing and publishes nothing.
 */
export async function updateProduct(
  deps: ProductDeps,
  id: string,
  patch: ProductPatch,
  editor: ProductEditor,
  context: EventContext,
): Promise<ProductView> {
  const saved = await deps.locks.withLock(productLockKey(id), async (lock) => {
    const doc = await deps.products.findById(id);
    assertEditable(doc, id, editor);
    const now = new Date();
    const before = storedContent(doc.toObject() as ProductRecord);
    const language = patch.language ?? before.language;
    const translations = patch.translations === undefined ? before.translations : cleanTranslations(patch.translations);
    // The copy of the owner's company: what it holds today, and its name for the event.
    const company = await findCompanyCopy(deps, doc.supplierCompanyId);
    const errors = checkProduct(
      {
        language,
        translations: translations ?? null,
        category: patch.category ?? before.category,
        originCountry: patch.originCountry ?? before.originCountry,
        moq: patch.moq ?? before.moq,
        priceTiers: patch.priceTiers ?? before.priceTiers,
        ...(patch.certifications !== undefined ? { certifications: patch.certifications } : {}),
      },
      company,
      now,
      { tiersGiven: patch.priceTiers !== undefined },
    );
    if (Object.keys(errors).length > 0) throw new ValidationError('The change would make the product invalid', prefixed(errors, 'body.'));

    const after: ContentFields = {
      ...before,
      ...(patch.sku !== undefined ? { sku: patch.sku } : {}),
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      language,
      ...(patch.category !== undefined ? { category: patch.category } : {}),
      ...(patch.originCountry !== undefined ? { originCountry: patch.originCountry } : {}),
      ...(patch.unit !== undefined ? { unit: patch.unit } : {}),
      ...(patch.moq !== undefined ? { moq: patch.moq } : {}),
      ...(patch.priceTiers !== undefined ? { priceTiers: storedTiers(patch.priceTiers), currency: patch.priceTiers[0]!.currency } : {}),
      ...(patch.certifications !== undefined ? { certifications: [...patch.certifications] } : {}),
      ...(patch.allergens !== undefined ? { allergens: [...patch.allergens] } : {}),
      ...(patch.storage !== undefined ? { storage: patch.storage } : {}),
    };
    if (patch.description !== undefined) {
      if (patch.description === null || patch.description === '') delete after.description;
      else after.description = patch.description;
    }
    if (translations) after.translations = translations;
    else delete after.translations;

    const changedFields = changedFieldsOf(before, after);
    if (changedFields.length === 0) return { doc: doc.toObject() as ProductRecord, changed: false };
    for (const field of CONTENT_FIELDS) doc.set(field, after[field]);
    doc.skuKey = after.sku;
    doc.version += 1;
    doc.updatedBy = editor.userId;
    doc.updatedAt = now;
    stageEvent(doc, TOPICS.productUpdated, doc._id, { ...productSnapshot(doc.toObject() as ProductRecord, company?.name), changedFields }, context);
    try {
      await lock.save(doc);
    } catch (error) {
      if (isDuplicateKeyError(error)) throw skuConflict(after.sku);
      throw error;
    }
    return { doc: doc.toObject() as ProductRecord, changed: true };
  });
  if (saved.changed) {
    deps.published?.();
    await refreshCache(deps, [saved.doc]);
  }
  return toProductView(saved.doc);
}

/**
 * Deletes a product (owner or admin): soft, so its history and events stay, and its sku is freed
 * for a new product (skuKey moves aside). Publishes `product.deleted`.
 */
export async function deleteProduct(deps: ProductDeps, id: string, editor: ProductEditor, context: EventContext): Promise<void> {
  const saved = await deps.locks.withLock(productLockKey(id), async (lock) => {
    const doc = await deps.products.findById(id);
    assertEditable(doc, id, editor);
    const now = new Date();
    doc.status = 'deleted';
    doc.skuKey = deletedSkuKey(doc.sku, doc._id);
    doc.deletedAt = now;
    doc.version += 1;
    doc.updatedBy = editor.userId;
    doc.updatedAt = now;
    stageEvent(
      doc,
      TOPICS.productDeleted,
      doc._id,
      { productId: doc._id, supplierCompanyId: doc.supplierCompanyId, sku: doc.sku, deletedBy: editor.userId, deletedAt: now.toISOString(), version: doc.version },
      context,
    );
    await lock.save(doc);
    return doc.toObject() as ProductRecord;
  });
  deps.published?.();
  await refreshCache(deps, [saved]);
}

// ---------------------------------------------------------------------------------------------
// The import's batch

export type UpsertResult =
  | { outcome: 'created' | 'updated' | 'unchanged'; productId: string }
  | { outcome: 'failed'; fields: Record<string, string[]> };

/** Update statements per bulkWrite of the import's batch (see upsertProductsBySku). */
export const UPDATE_BATCH = 20;

/** Staged entries older than the retention leave the outbox when a write replaces it. */
function prunedOutbox(outbox: readonly OutboxEntry[] | undefined, adding: OutboxEntry): OutboxEntry[] {
  const cutoff = adding.createdAt.getTime() - OUTBOX_ENTRY_RETENTION_MS;
  return [...(outbox ?? []).filter((entry) => new Date(entry.createdAt).getTime() >= cutoff), adding];
}

/**
 * Creates or updates a supplier's products by sku, in one batch: one `$in` read of the live
 * products with those skus, one unordered `bulkWrite` of the new products and the updates in
 * bulkWrites of UPDATE_BATCH (FerretDB, see below), each write carrying its own
 * `product.created` / `product.updated` event in the product's outbox. One result per row, in
 * order: `unchanged` when the row equals the stored product, `failed` with field errors (paths
 * without `body.`) for a row the semantic checks refuse, for a second row with an sku an earlier
 * row of the batch has, or for a write that lost a race (another create of the sku, a concurrent
 * edit of the product: import it again).
 *
 * The caller validates each row against ProductInputSchema first. Updates are guarded by the
 * stored version in the filter (exact on MongoDB; on FerretDB, which applies an update as read
 * then write, an HTTP edit at the same instant can still be overwritten: imports and edits of one
 * product are not expected at the same moment).
 */
export async function upsertProductsBySku(
  deps: ProductDeps,
  supplierCompanyId: string,
  rows: ProductInput[],
  actor: Actor,
  context: EventContext,
): Promise<UpsertResult[]> {
  const now = new Date();
  const company = await findCompanyCopy(deps, supplierCompanyId);
  const results: (UpsertResult | undefined)[] = new Array(rows.length);
  const contents: (ContentFields | undefined)[] = new Array(rows.length);
  const firstRowOfSku = new Map<string, number>();

  rows.forEach((row, index) => {
    const errors = checkProduct({ ...row, language: row.language ?? 'en', certifications: row.certifications ?? [] }, company, now);
    const earlier = firstRowOfSku.get(row.sku);
    if (earlier !== undefined) addError(errors, 'sku', `repeats the sku of an earlier row of this batch (row ${earlier + 1})`);
    else firstRowOfSku.set(row.sku, index);
    if (Object.keys(errors).length > 0) results[index] = { outcome: 'failed', fields: errors };
    else contents[index] = contentOf(row);
  });

  const skus = [...new Set(contents.filter((c): c is ContentFields => c !== undefined).map((c) => c.sku))];
  const existing = skus.length
    ? await deps.products.find({ supplierCompanyId, skuKey: { $in: skus } }).lean<ProductDoc[]>()
    : [];
  const bySku = new Map(existing.map((doc) => [doc.skuKey, doc]));

  type Planned = { index: number; kind: 'created' | 'updated'; productId: string; entryId: string; record: ProductRecord };
  const planned: Planned[] = [];
  const operations: Parameters<ProductModel['bulkWrite']>[0] = [];

  contents.forEach((content, index) => {
    if (!content) return;
    const stored = bySku.get(content.sku);
    if (!stored) {
      const productId = randomUUID();
      const record: ProductRecord = {
        _id: productId,
        supplierCompanyId,
        ...content,
        skuKey: content.sku,
        status: 'active',
        version: 1,
        createdBy: actor.userId,
        updatedBy: actor.userId,
        createdAt: now,
        updatedAt: now,
      };
      const { entry } = outboxEntry(TOPICS.productCreated, productId, productSnapshot(record, company?.name), context);
      operations.push({ insertOne: { document: { ...record, outbox: [entry], ...stagedMarks(entry.createdAt) } as ProductDoc } });
      planned.push({ index, kind: 'created', productId, entryId: entry.id, record });
      return;
    }
    const before = storedContent(stored);
    const changedFields = changedFieldsOf(before, content);
    if (changedFields.length === 0) {
      results[index] = { outcome: 'unchanged', productId: stored._id };
      return;
    }
    const record: ProductRecord = {
      ...stored,
      ...content,
      version: stored.version + 1,
      updatedBy: actor.userId,
      updatedAt: now,
    };
    if (!content.description) delete record.description;
    if (!content.translations) delete record.translations;
    delete (record as Partial<ProductDoc>).outbox;
    delete (record as Partial<ProductDoc>).outboxStagedAt;
    delete (record as Partial<ProductDoc>).outboxBucket;
    const { entry } = outboxEntry(TOPICS.productUpdated, stored._id, { ...productSnapshot(record, company?.name), changedFields }, context);
    const unset: Record<string, 1> = {};
    if (!content.description && stored.description !== undefined) unset.description = 1;
    if (!content.translations && stored.translations !== undefined) unset.translations = 1;
    operations.push({
      updateOne: {
        filter: { _id: stored._id, version: stored.version, status: 'active' },
        update: {
          $set: {
            ...content,
            version: record.version,
            updatedBy: actor.userId,
            updatedAt: now,
            outbox: prunedOutbox(stored.outbox, entry),
            ...stagedMarks(entry.createdAt),
          },
          ...(Object.keys(unset).length ? { $unset: unset } : {}),
        },
      },
    });
    planned.push({ index, kind: 'updated', productId: stored._id, entryId: entry.id, record });
  });

  const failedOps = new Map<number, { code?: number; message: string }>();
  const write = async (indexes: number[]) => {
    if (indexes.length === 0) return;
    try {
      await deps.products.bulkWrite(indexes.map((op) => operations[op]!), { ordered: false });
    } catch (error) {
      const writeErrors = (error as { writeErrors?: Array<{ index: number; code?: number; errmsg?: string; err?: { code?: number; errmsg?: string } }> }).writeErrors;
      if (!Array.isArray(writeErrors)) throw error;
      for (const writeError of writeErrors) {
        failedOps.set(indexes[writeError.index]!, { code: writeError.code ?? writeError.err?.code, message: writeError.errmsg ?? writeError.err?.errmsg ?? 'write failed' });
      }
    }
  };
  const opIndexes = planned.map((_, op) => op);
  // Every insert in one bulkWrite. Updates go in bulkWrites of UPDATE_BATCH, one after another:
  // FerretDB 1.24 keeps a PostgreSQL connection per statement of an `update` command until the
  // command ends, so one command with more statements than its pool (50) waits for itself for
  // ever and wedges the whole server (seen here with 1,500 updates in one bulkWrite).
  await write(opIndexes.filter((op) => planned[op]!.kind === 'created'));
  const updateOps = opIndexes.filter((op) => planned[op]!.kind === 'updated');
  for (let start = 0; start < updateOps.length; start += UPDATE_BATCH) await write(updateOps.slice(start, start + UPDATE_BATCH));

  // Which updates landed: those whose event is now in their outbox (a filter on the old version
  // matched nothing when someone changed the product in between).
  const updates = planned.filter((plan, op) => plan.kind === 'updated' && !failedOps.has(op));
  const landed = new Set<string>();
  if (updates.length > 0) {
    const found = await deps.products
      .find({ _id: { $in: updates.map((u) => u.productId) }, 'outbox.id': { $in: updates.map((u) => u.entryId) } })
      .select({ _id: 1 })
      .lean<{ _id: string }[]>();
    for (const doc of found) landed.add(doc._id);
  }

  const written: ProductRecord[] = [];
  planned.forEach((plan, op) => {
    const failure = failedOps.get(op);
    if (failure) {
      results[plan.index] = {
        outcome: 'failed',
        fields: failure.code === 11000 ? { sku: ['was just created by another write; import it again to update it'] } : { row: [failure.message] },
      };
    } else if (plan.kind === 'updated' && !landed.has(plan.productId)) {
      results[plan.index] = { outcome: 'failed', fields: { sku: ['the product was changed by someone else during the import; import it again'] } };
    } else {
      results[plan.index] = { outcome: plan.kind, productId: plan.productId };
      written.push(plan.record);
    }
  });
  if (written.length > 0) {
    deps.published?.();
    await refreshCache(deps, written);
  }
  return results.map((result) => result ?? { outcome: 'failed', fields: { row: ['not processed'] } });
}
