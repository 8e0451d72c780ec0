import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { AggregateLocks } from '@foodxchange/service-kit';
import { rfqModel, type RfqModel } from './rfqs/model.js';
import { quoteModel, type QuoteModel } from './quotes/model.js';
import { awardModel, type AwardModel } from './awards/model.js';
import { RfqNumbers } from './rfqs/numbers.js';

export interface SourcingSettings {
  awardGraceMs: number;
  maxQuoteRevisions: number;
}

/** What the routes, the consumers and the scheduler share: the models, the locks and the settings. */
export interface SourcingDeps {
  rfqs: RfqModel;
  quotes: QuoteModel;
  awards: AwardModel;
  locks: AggregateLocks;
  numbers: RfqNumbers;
  settings: SourcingSettings;
  /** Tells the outbox relay a write staged events. */
  published: () => void;
}

declare module 'fastify' {
  interface FastifyInstance {
    sourcing: SourcingDeps;
  }
}

interface RfqSettingsConfig {
  RFQ_AWARD_GRACE_HOURS: number;
  RFQ_QUOTE_MAX_REVISIONS: number;
}

async function sourcingPlugin(app: FastifyInstance, { config }: { config: object }) {
  const settings = config as RfqSettingsConfig;
  const rfqs = rfqModel(app.mongo);
  const quotes = quoteModel(app.mongo);
  const awards = awardModel(app.mongo);
  for (const model of [rfqs, quotes, awards]) app.events.registerOutbox(model);
  app.decorate('sourcing', {
    rfqs,
    quotes,
    awards,
    locks: app.locks,
    numbers: new RfqNumbers(rfqs),
    settings: { awardGraceMs: settings.RFQ_AWARD_GRACE_HOURS * 3_600_000, maxQuoteRevisions: settings.RFQ_QUOTE_MAX_REVISIONS },
    published: () => app.events.published(),
  } satisfies SourcingDeps);
}

export default fp(sourcingPlugin, { name: 'rfq-sourcing', fastify: '5.x', dependencies: ['foodxchange-mongo', 'foodxchange-kafka'] });
