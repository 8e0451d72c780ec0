import type { FastifyInstance } from 'fastify';
import { ok } from '@foodxchange/service-kit';
import type { AuthDeps } from '../deps.js';
import { userCallerOf } from '../sessions/guard.js';
import {
  ApiKeyEnvelope,
  ApiKeyIdParamsSchema,
  ApiKeyListEnvelope,
  CreateApiKeyBodySchema,
  CreatedApiKeyEnvelope,
  ExchangedTokenEnvelope,
  RotateApiKeyBodySchema,
  RotatedApiKeyEnvelope,
  type CreateApiKeyBody,
  type RotateApiKeyBody,
} from './schemas.js';
import { API_KEY_HEADER, createApiKey, exchangeApiKey, listApiKeys, revokeApiKey, rotateApiKey } from './service.js';

const MANAGE = { permission: 'api-key:manage' } as const;

export default async function apiKeyRoutes(app: FastifyInstance, { deps }: { deps: AuthDeps }) {
  app.post(
    '/api-keys',
    {
      config: { access: MANAGE },
      schema: {
        tags: ['auth'],
        summary: "Create an API key of the caller's company (the key is shown once)",
        description: "Permissions must be a subset of the caller's (400 otherwise). Needs a user's token: a token minted for an API key gets 403.",
        body: CreateApiKeyBodySchema,
        response: { 201: CreatedApiKeyEnvelope },
      },
    },
    async (request, reply) => reply.code(201).send(ok(await createApiKey(deps, userCallerOf(request), request.body as CreateApiKeyBody))),
  );

  app.get(
    '/api-keys',
    {
      config: { access: MANAGE },
      schema: { tags: ['auth'], summary: "The caller company's API keys (no secrets)", response: { 200: ApiKeyListEnvelope } },
    },
    async (request) => ok(await listApiKeys(deps, userCallerOf(request))),
  );

  app.delete(
    '/api-keys/:id',
    {
      config: { access: MANAGE },
      schema: {
        tags: ['auth'],
        summary: 'Revoke an API key at once',
        description: `Also sets the Redis key auth:apikey:revoked:<id> the gateway reads. Another company's key → 404.`,
        params: ApiKeyIdParamsSchema,
        response: { 200: ApiKeyEnvelope },
      },
    },
    async (request) => ok(await revokeApiKey(deps, userCallerOf(request), (request.params as { id: string }).id)),
  );

  app.post(
    '/api-keys/:id/rotate',
    {
      config: { access: MANAGE },
      schema: {
        tags: ['auth'],
        summary: 'Rotate an API key: a new key (shown once); the old one works until graceUntil',
        params: ApiKeyIdParamsSchema,
        body: RotateApiKeyBodySchema,
        response: { 200: RotatedApiKeyEnvelope },
      },
    },
    async (request) =>
      ok(await rotateApiKey(deps, userCallerOf(request), (request.params as { id: string }).id, (request.body as RotateApiKeyBody)?.graceSeconds)),
  );

  app.post(
    '/api-keys/token',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Exchange an API key (X-API-Key header) for a short-lived access token (the gateway does this)',
        description:
          'Answers an RS256 access token acting as the key\'s creator with the key\'s permissions and `akid`, valid 5 minutes or until the key expires or its rotation grace ends. 401 for an unknown, revoked, expired or past-grace key, or a suspended creator.',
        headers: {
          type: 'object',
          properties: { [API_KEY_HEADER]: { type: 'string', description: 'fxk_<id>_<secret>' } },
        },
        response: { 200: ExchangedTokenEnvelope },
      },
    },
    async (request) => {
      const header = request.headers[API_KEY_HEADER];
      return ok(await exchangeApiKey(deps, typeof header === 'string' ? header : undefined));
    },
  );
}
