import type { paths } from '@/api/schema';

type Ok<T> = T extends { responses: { 200: { content: { 'application/json': infer B } } } } ? B : never;
type Created<T> = T extends { responses: { 201: { content: { 'application/json': infer B } } } } ? B : never;

export type ProductSearch = Ok<paths['/api/v1/products']['get']>;
export type ProductHit = ProductSearch['data'][number];
export type SearchQuery = NonNullable<paths['/api/v1/products']['get']['parameters']['query']>;
export type Product = Ok<paths['/api/v1/products/{id}']['get']>['data'];
export type Rfq = Ok<paths['/api/v1/rfqs/{id}']['get']>['data'];
export type RfqBody = paths['/api/v1/rfqs']['post']['requestBody']['content']['application/json'];
export type CreatedRfq = Created<paths['/api/v1/rfqs']['post']>['data'];
export type QuotesAnswer = Ok<paths['/api/v1/rfqs/{id}/quotes']['get']>['data'];
export type Quote = QuotesAnswer['quotes'][number];
export type Order = Ok<paths['/api/v1/orders/{id}']['get']>['data'];
export type OrderStatus = Order['status'];
export type Certification = RfqBody['requiredCertifications'][number];

export const CERTIFICATIONS: Certification[] = ['HACCP', 'ISO22000', 'BRCGS', 'IFS', 'FSSC22000', 'ORGANIC_EU', 'USDA_ORGANIC', 'FDA_REGISTERED', 'HALAL', 'KOSHER'];
export const ALLERGENS = ['gluten', 'crustaceans', 'eggs', 'fish', 'peanuts', 'soybeans', 'milk', 'nuts', 'celery', 'mustard', 'sesame', 'sulphites', 'lupin', 'molluscs'] as const;

/** Minor units to a decimal, for currencies with two minor digits (the platform's money is minor units). */
export function minorToMajor(minor: number, currency: string): number {
  let digits = 2;
  try {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    digits = 2;
  }
  return minor / 10 ** digits;
}
