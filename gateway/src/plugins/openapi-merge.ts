import { asyncApiDocument } from '@foodxchange/contracts';
import fp from 'fastify-plugin';
import { request } from 'undici';
import type { FastifyInstance } from 'fastify';
import { UPSTREAMS, type GatewaySettings } from '../upstreams.js';

type OpenApiDocument = {
  openapi?: string;
  info?: Record<string, unknown>;
  paths?: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown>>;
  tags?: { name: string; description?: string }[];
  [key: string]: unknown;
};

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Rewrites `#/components/<kind>/<Name>` references after a component was renamed. */
function renameRefs(node: unknown, renames: Map<string, string>): unknown {
  if (Array.isArray(node)) return node.map((item) => renameRefs(item, renames));
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      out[key] = key === '$ref' && typeof value === 'string' && renames.has(value) ? renames.get(value) : renameRefs(value, renames);
    }
    return out;
  }
  return node;
}

/**
 * Merges the gateway's own document with every service's: paths are unioned (they are already
 * public paths), each operation is tagged with its service, component schemas are namespaced
 * `<service>.<Name>` so two services' `Product` never collide. Services that didn't answer are
 * listed in `x-unavailable-services`.
 */
export function mergeDocuments(
  gateway: OpenApiDocument,
  services: { name: string; document: OpenApiDocument | undefined; description?: string }[],
  version: string,
): OpenApiDocument {
  const merged: OpenApiDocument = {
    openapi: '3.0.3',
    info: {
      title: 'FoodXchange API',
      version,
      description:
        'Every service behind the gateway, one document. Responses use the standard envelope.\n\n' +
        'Events: partners consume our Kafka topics; every topic, its key and its CloudEvents data schema are in the [AsyncAPI 3 document](/asyncapi.json).',
    },
    // Swagger UI shows this link at the top of /docs.
    externalDocs: { description: 'Events for partners: the AsyncAPI 3 document of every topic', url: '/asyncapi.json' },
    servers: [{ url: '/' }],
    paths: { ...(gateway.paths ?? {}) },
    components: { ...(gateway.components ?? {}), schemas: { ...(gateway.components?.schemas ?? {}) } },
    tags: [...(gateway.tags ?? [])],
  };
  const unavailable: string[] = [];
  for (const { name, document, description } of services) {
    if (!document) {
      unavailable.push(name);
      continue;
    }
    merged.tags!.push({ name, description: description ?? String(document.info?.description ?? '') });
    const renames = new Map<string, string>();
    for (const [kind, entries] of Object.entries(document.components ?? {})) {
      if (kind === 'securitySchemes') continue; // shared: the gateway's own definitions stand
      for (const componentName of Object.keys(entries)) {
        renames.set(`#/components/${kind}/${componentName}`, `#/components/${kind}/${name}.${componentName}`);
      }
    }
    const document2 = renameRefs(document, renames) as OpenApiDocument;
    for (const [kind, entries] of Object.entries(document2.components ?? {})) {
      if (kind === 'securitySchemes') continue;
      const target = (merged.components![kind] ??= {});
      for (const [componentName, value] of Object.entries(entries)) target[`${name}.${componentName}`] = value;
    }
    for (const [path, item] of Object.entries(document2.paths ?? {})) {
      if (!path.startsWith('/api/')) continue; // health, metrics: the gateway aggregates those
      const tagged: Record<string, unknown> = {};
      for (const [method, operation] of Object.entries(item)) {
        tagged[method] =
          HTTP_METHODS.includes(method) && operation && typeof operation === 'object'
            ? { ...operation, tags: [name], 'x-service': name }
            : operation;
      }
      merged.paths![path] = { ...(merged.paths![path] ?? {}), ...tagged };
    }
  }
  merged['x-unavailable-services'] = unavailable;
  return merged;
}

declare module 'fastify' {
  interface FastifyInstance {
    mergedOpenApi(): Promise<OpenApiDocument>;
  }
}

async function openApiMergePlugin(app: FastifyInstance, settings: GatewaySettings) {
  let cached: { at: number; document: OpenApiDocument } | undefined;
  let refreshing: Promise<OpenApiDocument> | undefined;

  async function fetchDocument(url: string): Promise<OpenApiDocument | undefined> {
    try {
      const res = await request(new URL('/openapi.json', url), {
        headersTimeout: settings.healthTimeoutMs,
        bodyTimeout: settings.healthTimeoutMs,
      });
      if (res.statusCode !== 200) {
        await res.body.dump();
        return undefined;
      }
      return (await res.body.json()) as OpenApiDocument;
    } catch {
      return undefined;
    }
  }

  /** Replicas of one service serve the same document: the first that answers gives it. */
  async function firstDocument(urls: string[]): Promise<OpenApiDocument | undefined> {
    for (const url of urls) {
      const document = await fetchDocument(url);
      if (document) return document;
    }
    return undefined;
  }

  async function refresh(): Promise<OpenApiDocument> {
    const services = await Promise.all(
      UPSTREAMS.map(async (upstream) => ({
        name: upstream.name,
        document: await firstDocument(settings.upstreamUrls[upstream.name]!),
      })),
    );
    const document = mergeDocuments(app.swagger() as OpenApiDocument, services, app.service.version);
    // A document missing services is kept only briefly, so it fills in as they come up.
    const complete = (document['x-unavailable-services'] as string[]).length === 0;
    cached = { at: complete ? Date.now() : Date.now() - settings.openApiCacheMs + 2000, document };
    return document;
  }

  app.decorate('mergedOpenApi', async () => {
    if (cached && Date.now() - cached.at < settings.openApiCacheMs) return cached.document;
    refreshing ??= refresh().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  });

  app.get(
    '/openapi.json',
    { schema: { hide: true }, config: { access: 'public' }, logLevel: 'warn' },
    async () => app.mergedOpenApi(),
  );

  // The event side of the contract, for partners: every topic, its key and its data schema.
  const asyncApi = asyncApiDocument();
  app.get('/asyncapi.json', { schema: { hide: true }, config: { access: 'public' }, logLevel: 'warn' }, async (_request, reply) => {
    void reply.header('cache-control', 'public, max-age=300');
    return asyncApi;
  });
}

export default fp(openApiMergePlugin, {
  name: 'gateway-openapi-merge',
  fastify: '5.x',
  dependencies: ['foodxchange-openapi'],
});

export type { OpenApiDocument };
