import { Schema, type Connection, type Model } from 'mongoose';

/**
 * Compliance's read copy of a catalogue product (`_id` = product id), from catalog's
 * `product.created|updated|deleted`: what a verdict needs to know about the goods. The newest
 * `version` wins; a deletion keeps the last known content (it still describes goods already
 * ordered) and only marks the status. Written under the lock `compliance-product:<id>`.
 */
export interface ProductCopyDoc {
  _id: string;
  supplierCompanyId: string;
  sku?: string;
  name?: string;
  originCountry?: string;
  allergens: string[];
  certifications: string[];
  status: 'active' | 'inactive' | 'deleted';
  /** False for a copy made by a deletion that arrived before any snapshot of the product. */
  contentKnown: boolean;
  version: number;
  updatedAt: Date;
}

const ProductCopySchema = new Schema<ProductCopyDoc>(
  {
    _id: { type: String, required: true },
    supplierCompanyId: { type: String, required: true },
    sku: String,
    name: String,
    originCountry: String,
    allergens: { type: [String], default: [] },
    certifications: { type: [String], default: [] },
    status: { type: String, required: true, enum: ['active', 'inactive', 'deleted'] },
    contentKnown: { type: Boolean, required: true },
    version: { type: Number, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'product_copies', versionKey: false },
);

export type ProductCopyModel = Model<ProductCopyDoc>;

export function productCopyModel(connection: Connection): ProductCopyModel {
  return (connection.models.ProductCopy as ProductCopyModel) ?? connection.model<ProductCopyDoc>('ProductCopy', ProductCopySchema);
}
