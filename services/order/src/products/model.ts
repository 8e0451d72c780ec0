import { Schema, type Connection, type Model } from 'mongoose';
import type { CertificationType } from '@foodxchange/contracts';

export type ProductCopyStatus = 'active' | 'inactive' | 'deleted';

export interface CopiedPriceTier {
  minQuantity: number;
  unitPriceMinor: number;
  currency: string;
}

/**
 * The order service's copy of a catalogue product, from `product.created|updated|deleted`: what a
 * catalogue purchase is priced from and what order lines are enriched with for compliance. The
 * catalogue's `version` orders the snapshots; only a newer one replaces the copy.
 */
export interface ProductCopyDoc {
  _id: string;
  supplierCompanyId: string;
  supplierName?: string;
  sku?: string;
  name?: string;
  category?: string;
  originCountry?: string;
  unit?: string;
  moq?: number;
  priceTiers: CopiedPriceTier[];
  certifications: CertificationType[];
  allergens: string[];
  status: ProductCopyStatus;
  /** The catalogue's version of the snapshot (0: an event that carried none). */
  version: number;
  copiedAt: Date;
}

const PriceTierSchema = new Schema<CopiedPriceTier>(
  {
    minQuantity: { type: Number, required: true },
    unitPriceMinor: { type: Number, required: true },
    currency: { type: String, required: true },
  },
  { _id: false },
);

const ProductCopySchema = new Schema<ProductCopyDoc>(
  {
    _id: { type: String, required: true },
    supplierCompanyId: { type: String, required: true },
    supplierName: String,
    sku: String,
    name: String,
    category: String,
    originCountry: String,
    unit: String,
    moq: Number,
    priceTiers: { type: [PriceTierSchema], default: [] },
    certifications: { type: [String], default: [] },
    allergens: { type: [String], default: [] },
    status: { type: String, required: true, enum: ['active', 'inactive', 'deleted'] },
    version: { type: Number, required: true },
    copiedAt: { type: Date, required: true },
  },
  { collection: 'product_copies', versionKey: false },
);
// The copy-and-compare write filters on (_id, version).
ProductCopySchema.index({ version: 1 });

export type ProductCopyModel = Model<ProductCopyDoc>;

export function productCopyModel(connection: Connection): ProductCopyModel {
  return (connection.models.ProductCopy as ProductCopyModel) ?? connection.model<ProductCopyDoc>('ProductCopy', ProductCopySchema);
}
