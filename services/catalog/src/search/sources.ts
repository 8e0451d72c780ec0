import type { ProductModel } from '../products/model.js';
import { allLiveProducts, productsOfSupplier } from '../products/service.js';
import type { CompanyCopyModel } from '../companies/model.js';
import type { IndexableProduct } from './index-documents.js';
import type { CompanySource, IndexedCompany, ProductSource } from './indexer.js';

/**
 * The indexer's reads of the catalog's products and company copies (owned by src/products and
 * src/companies; the search part only reads them). Everything the index needs, nothing more.
 */

const PRODUCT_FIELDS = {
  supplierCompanyId: 1, sku: 1, name: 1, description: 1, language: 1, translations: 1, category: 1, originCountry: 1,
  unit: 1, moq: 1, currency: 1, priceTiers: 1, certifications: 1, allergens: 1, storage: 1, status: 1, version: 1,
  createdAt: 1, updatedAt: 1, deletedAt: 1,
} as const;

/** Batch size of the reads that feed a bulk load. */
export const LOAD_BATCH = 1000;

async function* inIdOrder(model: ProductModel, filter: Record<string, unknown>, batch = LOAD_BATCH): AsyncIterable<IndexableProduct[]> {
  // Keyset pagination on _id: each batch is one bounded query, whatever the collection's size.
  let after: string | undefined;
  for (;;) {
    const page = await model
      .find(after === undefined ? filter : { ...filter, _id: { $gt: after } }, PRODUCT_FIELDS)
      .sort({ _id: 1 })
      .limit(batch)
      .lean<IndexableProduct[]>();
    if (page.length === 0) return;
    yield page;
    if (page.length < batch) return;
    after = page[page.length - 1]!._id;
  }
}

export function productSource(products: ProductModel): ProductSource {
  return {
    byIds: async (ids) => (ids.length === 0 ? [] : products.find({ _id: { $in: [...ids] } }, PRODUCT_FIELDS).lean<IndexableProduct[]>()),
    idsOfSupplier: async (companyId) => (await productsOfSupplier({ products }, companyId)).map((product) => product._id),
    allLive: () => allLiveProducts({ products }, { batchSize: LOAD_BATCH }),
    changedSince: (since) => inIdOrder(products, { updatedAt: { $gte: since } }),
  };
}

export function companySource(companies: CompanyCopyModel): CompanySource {
  return {
    findMany: async (ids) => {
      const wanted = [...new Set(ids)];
      if (wanted.length === 0) return new Map();
      const found = await companies
        .find({ _id: { $in: wanted } }, { name: 1, verified: 1, marketsServed: 1, certifications: 1, active: 1, updatedAt: 1 })
        .lean<Array<IndexedCompany & { _id: string }>>();
      return new Map(found.map((copy) => [copy._id, copy]));
    },
    changedSince: async (since) => {
      const found = await companies.find({ updatedAt: { $gte: since } }, { _id: 1 }).lean<Array<{ _id: string }>>();
      return found.map((copy) => copy._id);
    },
  };
}
