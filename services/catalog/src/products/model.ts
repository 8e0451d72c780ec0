import { Schema, type Connection, type Model } from 'mongoose';
import { outboxPlugin, type OutboxFields } from '@foodxchange/service-kit';

export const PRODUCT_STATUSES = ['active', 'deleted'] as const;
export type ProductStatus = (typeof PRODUCT_STATUSES)[number];

export interface StoredPriceTier {
  minQuantity: number;
  /** Integer minor units of `currency` (DESIGN.md rule 5: no floats or Decimal128 for money). */
  unitPriceMinor: number;
  currency: string;
}

export interface StoredTranslation {
  name?: string;
  description?: string;
}

/**
 * A supplier's product, `_id` a uuid. `skuKey` carries the uniqueness of `sku` per supplier: it
 * equals `sku` while the product is live and becomes `<sku>~deleted~<id>` when it is deleted, so
 * the unique index `(supplierCompanyId, skuKey)` frees the sku for a new product (FerretDB has no
 * partial indexes). Its `product.*` events travel in its own outbox, written by the same save.
 */
export interface ProductDoc extends OutboxFields {
  _id: string;
  supplierCompanyId: string;
  sku: string;
  skuKey: string;
  name: string;
  description?: string;
  language: string;
  translations?: Record<string, StoredTranslation>;
  category: string;
  originCountry: string;
  unit: string;
  moq: number;
  currency: string;
  priceTiers: StoredPriceTier[];
  certifications: string[];
  allergens: string[];
  storage: string;
  status: ProductStatus;
  /** 1 at creation, +1 per change (the ETag, and the order of the events). */
  version: number;
  createdBy: string;
  updatedBy: string;
  createdAt: Date;
  updatedAt: Date;
  deletedAt?: Date;
}

const PriceTierSchema = new Schema<StoredPriceTier>(
  {
    minQuantity: { type: Number, required: true },
    unitPriceMinor: { type: Number, required: true },
    currency: { type: String, required: true },
  },
  { _id: false },
);

const ProductSchema = new Schema<ProductDoc>(
  {
    _id: { type: String, required: true },
    supplierCompanyId: { type: String, required: true },
    sku: { type: String, required: true },
    skuKey: { type: String, required: true },
    name: { type: String, required: true },
    description: String,
    language: { type: String, required: true, default: 'en' },
    // Keys are language codes (never `.` or `$`): a plain object, replaced as a whole.
    translations: { type: Schema.Types.Mixed, default: undefined },
    category: { type: String, required: true },
    originCountry: { type: String, required: true },
    unit: { type: String, required: true },
    moq: { type: Number, required: true },
    currency: { type: String, required: true },
    priceTiers: { type: [PriceTierSchema], default: [] },
    certifications: { type: [String], default: [] },
    allergens: { type: [String], default: [] },
    storage: { type: String, required: true },
    status: { type: String, required: true, enum: PRODUCT_STATUSES, default: 'active' },
    version: { type: Number, required: true },
    createdBy: { type: String, required: true },
    updatedBy: { type: String, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    deletedAt: Date,
  },
  { collection: 'products', versionKey: false, minimize: false },
);
ProductSchema.plugin(outboxPlugin);
// sku unique per supplier among live products (DESIGN.md rule 2: a unique index, not a check).
ProductSchema.index({ supplierCompanyId: 1, skuKey: 1 }, { unique: true });
// A supplier's live products (refreshing its products in the index, its listings).
ProductSchema.index({ supplierCompanyId: 1, status: 1 });
ProductSchema.index({ status: 1 });

export type ProductModel = Model<ProductDoc>;

export function productModel(connection: Connection): ProductModel {
  return (connection.models.Product as ProductModel) ?? connection.model<ProductDoc>('Product', ProductSchema);
}

export const productLockKey = (productId: string) => `catalog-product:${productId}`;
export const deletedSkuKey = (sku: string, productId: string) => `${sku}~deleted~${productId}`;
