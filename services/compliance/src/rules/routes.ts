import type { FastifyInstance } from 'fastify';
import { ok, paged, ValidationError } from '@foodxchange/service-kit';
import type { RuleModels } from './model.js';
import {
  IfMatchHeadersSchema,
  MarketParamsSchema,
  ReplaceRuleSetBodySchema,
  RuleSetEnvelope,
  RuleSetListEnvelope,
  RuleSetListQuerySchema,
  RuleSetVersionListEnvelope,
  VersionsQuerySchema,
  type ReplaceRuleSetBody,
} from './schemas.js';
import { getRuleSet, listRuleSets, listRuleSetVersions, replaceRuleSet } from './service.js';

/** The concurrency token from the body or from If-Match; exactly one source, and it must agree. */
export function expectedVersionOf(body: ReplaceRuleSetBody, ifMatch: string | undefined): number {
  const fromHeader = ifMatch === undefined ? undefined : Number(ifMatch.replace(/^W\//, '').replaceAll('"', ''));
  const fromBody = body.expectedVersion;
  if (fromHeader !== undefined && fromBody !== undefined && fromHeader !== fromBody) {
    throw new ValidationError('expectedVersion and If-Match disagree', {
      'body.expectedVersion': [`is ${fromBody} but If-Match says ${fromHeader}`],
    });
  }
  const expected = fromBody ?? fromHeader;
  if (expected === undefined) {
    throw new ValidationError('Say which version you are replacing', {
      'body.expectedVersion': ['is required (or send If-Match with the version; 0 creates a new market)'],
    });
  }
  return expected;
}

export default async function ruleRoutes(app: FastifyInstance, { models }: { models: RuleModels }) {
  const { ruleSets } = models;
  app.get(
    '/rules',
    {
      config: { access: 'public' },
      schema: {
        tags: ['rules'],
        summary: 'Rule sets of every market (or, with ?country=, the one that applies to that delivery country)',
        querystring: RuleSetListQuerySchema,
        response: { 200: RuleSetListEnvelope },
      },
    },
    async (request) => ok(await listRuleSets(ruleSets, request.query as { country?: string })),
  );

  app.get(
    '/rules/:market',
    {
      config: { access: 'public' },
      schema: {
        tags: ['rules'],
        summary: "A market's rule set; its version is also the ETag",
        params: MarketParamsSchema,
        response: { 200: RuleSetEnvelope },
      },
    },
    async (request, reply) => {
      const { market } = request.params as { market: string };
      const ruleSet = await getRuleSet(ruleSets, market);
      void reply.header('etag', `"${ruleSet.version}"`);
      return ok(ruleSet);
    },
  );

  app.put(
    '/rules/:market',
    {
      config: { access: { permission: 'rules:edit' } },
      schema: {
        tags: ['rules'],
        summary: "Replace a market's rule set (optimistic concurrency: expectedVersion or If-Match; 0 creates)",
        params: MarketParamsSchema,
        headers: IfMatchHeadersSchema,
        body: ReplaceRuleSetBodySchema,
        response: { 200: RuleSetEnvelope },
      },
    },
    async (request, reply) => {
      const { market } = request.params as { market: string };
      const body = request.body as ReplaceRuleSetBody;
      const expected = expectedVersionOf(body, (request.headers as { 'if-match'?: string })['if-match']);
      const { expectedVersion: _token, ...input } = body;
      const ruleSet = await replaceRuleSet(models, market, input, expected);
      void reply.header('etag', `"${ruleSet.version}"`);
      return ok(ruleSet);
    },
  );

  app.get(
    '/rules/:market/versions',
    {
      config: { access: 'public' },
      schema: {
        tags: ['rules'],
        summary: "Every accepted version of a market's rule set, newest first (which rules applied when)",
        params: MarketParamsSchema,
        querystring: VersionsQuerySchema,
        response: { 200: RuleSetVersionListEnvelope },
      },
    },
    async (request) => {
      const { market } = request.params as { market: string };
      const page = request.query as { page: number; limit: number };
      const { items, total } = await listRuleSetVersions(models, market, page);
      return paged(items, { ...page, total });
    },
  );
}
