import type { FastifyInstance } from 'fastify';
import { marketForCountry, toMinorUnits } from '@foodxchange/contracts';
import { ok, ValidationError } from '@foodxchange/service-kit';
import type { MatchRequest } from './ranking.js';
import { MatchBodySchema, MatchEnvelope, type MatchBody } from './schemas.js';
import { deliveryInstant } from './service.js';

/** The body as a match request: decimal target prices in minor units, the country's market. */
export function matchRequestOfBody(body: MatchBody, now: Date): MatchRequest {
  const fields: Record<string, string[]> = {};
  const items = body.items.map((item, index) => {
    let targetUnitPriceMinor: number | undefined;
    if (item.targetUnitPrice !== undefined && item.currency) {
      try {
        targetUnitPriceMinor = toMinorUnits(item.targetUnitPrice, item.currency);
      } catch (error) {
        fields[`body.items.${index}.targetUnitPrice`] = [(error as Error).message];
      }
    }
    return {
      index,
      name: item.name.trim(),
      category: item.category,
      quantity: item.quantity,
      unit: item.unit.trim(),
      ...(targetUnitPriceMinor !== undefined ? { targetUnitPriceMinor, currency: item.currency } : {}),
    };
  });
  if (Object.keys(fields).length > 0) throw new ValidationError('Invalid target price', fields);
  return {
    items,
    requiredCertifications: body.requiredCertifications ?? [],
    deliveryCountry: body.deliveryCountry,
    // Bloc markets (EU, UK, US) or the INTL baseline: a country's own rule set is compliance's matter.
    market: marketForCountry(body.deliveryCountry),
    deliveryDate: deliveryInstant(body.deliveryDate, now),
  };
}

export default async function matchingRoutes(app: FastifyInstance) {
  app.post(
    '/suppliers/match',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['matching'],
        summary: "Supplier companies whose live products cover an RFQ's items, best first (at most 20)",
        description:
          'Ranks suppliers by text relevance per item, category, price against the target, MOQ against the quantity, required certifications valid on the delivery date (default today), the delivery market served and verification. Each matched item carries a readable reason. The same catalog and request give the same ranking.',
        body: MatchBodySchema,
        response: { 200: MatchEnvelope },
      },
    },
    async (request) => ok(await app.matching.match(matchRequestOfBody(request.body as MatchBody, new Date()))),
  );
}
