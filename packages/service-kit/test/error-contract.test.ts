import { publicByDefault } from '../src/testing.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildService, ConflictError, Envelope, NotFoundError, ok, serviceKit, ServiceUnavailableError, type ServiceApp } from '../src/index.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const service = { name: 'kit-contract', version: '1.0.0', description: 'error contract test service', defaultPort: 0 };

const ItemBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 100 }), quantity: Type.Integer({ minimum: 1 }), details: Type.Optional(Type.Unknown()) },
  { additionalProperties: false },
);
const ConflictSchema = Type.Object({
  success: Type.Literal(false),
  error: Type.Object({ code: Type.Literal('CONFLICT'), message: Type.String(), details: Type.Object({ itemId: Type.String() }) }),
  metadata: Type.Object({ timestamp: Type.String(), requestId: Type.String(), version: Type.String(), processingTime: Type.Optional(Type.Number()) }),
});

const testApp: ServiceApp = async (app, { config }) => {
  await app.register(serviceKit, { service, config, mongo: false });
  publicByDefault(app);
  await app.register(
    async (scope) => {
      scope.post('/items', { schema: { body: ItemBody, response: { 201: Envelope(ItemBody) } } }, async (request, reply) =>
        reply.code(201).send(ok(request.body)),
      );
      scope.get(
        '/items/:itemId',
        { schema: { params: Type.Object({ itemId: Type.String({ pattern: '^[a-z0-9-]+$' }) }), querystring: Type.Object({ view: Type.Optional(Type.Literal('full')) }, { additionalProperties: false }) } },
        async (request) => {
          const { itemId } = request.params as { itemId: string };
          if (itemId === 'missing') throw new NotFoundError(`Item ${itemId}`);
          if (itemId === 'broken') throw new Error('driver detail');
          if (itemId === 'upstream-down') throw new ServiceUnavailableError('The catalog service is unavailable', { reason: 'circuit open' });
          return ok({ itemId });
        },
      );
      // A route that declares its own error schema for a status keeps it.
      scope.put(
        '/items/:itemId',
        { schema: { params: Type.Object({ itemId: Type.String() }), body: ItemBody, response: { 200: Envelope(ItemBody), 409: ConflictSchema } } },
        async (request) => {
          throw new ConflictError('Item changed meanwhile', { itemId: (request.params as { itemId: string }).itemId });
        },
      );
    },
    { prefix: '/api/v1' },
  );
};

let app: FastifyInstance;
let document: { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>> };
const ajv = addFormats(new Ajv({ strict: false }));
const validators = new Map<object, ValidateFunction>();

beforeAll(async () => {
  app = await buildService(service, testApp, { LOG_LEVEL: 'silent', BODY_LIMIT_BYTES: 4096 });
  document = (await app.inject({ url: '/openapi.json' })).json();
});
afterAll(async () => {
  await app.close();
});

/** The schema /openapi.json declares for this operation and status (no range fallback: stated outright). */
function declaredSchema(path: string, method: string, status: number): object {
  const operation = document.paths[path]?.[method];
  expect(operation, `${method} ${path} is documented`).toBeDefined();
  const response = operation!.responses[String(status)];
  expect(response, `${method} ${path} documents ${status}`).toBeDefined();
  const schema = response!.content?.['application/json']?.schema;
  expect(schema, `${method} ${path} ${status} has a JSON schema`).toBeDefined();
  return schema!;
}

function expectMatchesDeclared(body: unknown, path: string, method: string, status: number) {
  const schema = declaredSchema(path, method, status);
  let validate = validators.get(schema);
  if (!validate) validators.set(schema, (validate = ajv.compile(schema)));
  expect(validate(body), `${method} ${path} ${status}: ${JSON.stringify(validate.errors)} in ${JSON.stringify(body).slice(0, 300)}`).toBe(true);
}

const json = { 'content-type': 'application/json' };
// Deep, yet inside the test's 4 KB body limit.
const deep = '['.repeat(1500) + ']'.repeat(1500);

// Each bad request, the documented operation whose declared response it must match, and the status.
const battery: Array<{ name: string; request: InjectOptions; path: string; method: string; status: number }> = [
  { name: 'wrong method', request: { method: 'DELETE', url: '/api/v1/items/a-1' }, path: '/api/v1/items/{itemId}', method: 'get', status: 405 },
  { name: 'wrong method on a collection', request: { method: 'GET', url: '/api/v1/items' }, path: '/api/v1/items', method: 'post', status: 405 },
  { name: 'NUL in a body string', request: { method: 'POST', url: '/api/v1/items', headers: json, payload: '{"name":"To\\u0000mato","quantity":1}' }, path: '/api/v1/items', method: 'post', status: 400 },
  { name: 'NUL in the query', request: { url: '/api/v1/items/a-1?view=%00' }, path: '/api/v1/items/{itemId}', method: 'get', status: 400 },
  { name: 'NUL in a param', request: { url: '/api/v1/items/a%001' }, path: '/api/v1/items/{itemId}', method: 'get', status: 400 },
  { name: 'bad JSON', request: { method: 'POST', url: '/api/v1/items', headers: json, payload: '{"name":' }, path: '/api/v1/items', method: 'post', status: 400 },
  { name: 'empty JSON', request: { method: 'POST', url: '/api/v1/items', headers: json, payload: '' }, path: '/api/v1/items', method: 'post', status: 400 },
  { name: '__proto__ key', request: { method: 'POST', url: '/api/v1/items', headers: json, payload: '{"name":"a","quantity":1,"__proto__":{"x":1}}' }, path: '/api/v1/items', method: 'post', status: 400 },
  { name: 'constructor.prototype key', request: { method: 'POST', url: '/api/v1/items', headers: json, payload: '{"name":"a","quantity":1,"details":{"constructor":{"prototype":{}}}}' }, path: '/api/v1/items', method: 'post', status: 400 },
  { name: 'deep nesting', request: { method: 'POST', url: '/api/v1/items', headers: { 'content-type': 'application/json' }, payload: `{"name":"a","quantity":1,"details":${deep}}` }, path: '/api/v1/items', method: 'post', status: 400 },
  { name: 'invalid UTF-8', request: { method: 'POST', url: '/api/v1/items', headers: json, payload: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]) }, path: '/api/v1/items', method: 'post', status: 400 },
  { name: 'huge param', request: { url: `/api/v1/items/${'a'.repeat(500)}` }, path: '/api/v1/items/{itemId}', method: 'get', status: 414 },
  { name: 'bad percent-encoding', request: { url: '/api/v1/items/%E0%A4%A' }, path: '/api/v1/items/{itemId}', method: 'get', status: 400 },
  { name: 'unknown field', request: { method: 'POST', url: '/api/v1/items', headers: json, payload: '{"name":"a","quantity":1,"colour":"red"}' }, path: '/api/v1/items', method: 'post', status: 400 },
  { name: 'wrong type', request: { method: 'POST', url: '/api/v1/items', headers: json, payload: '{"name":"a","quantity":"1"}' }, path: '/api/v1/items', method: 'post', status: 400 },
  { name: 'bad param', request: { url: '/api/v1/items/NOT_OK' }, path: '/api/v1/items/{itemId}', method: 'get', status: 400 },
  { name: 'unknown query field', request: { url: '/api/v1/items/a-1?colour=red' }, path: '/api/v1/items/{itemId}', method: 'get', status: 400 },
  { name: 'oversized body', request: { method: 'POST', url: '/api/v1/items', headers: json, payload: JSON.stringify({ name: 'a', quantity: 1, details: 'x'.repeat(5000) }) }, path: '/api/v1/items', method: 'post', status: 413 },
  { name: 'wrong content type', request: { method: 'POST', url: '/api/v1/items', headers: { 'content-type': 'text/csv' }, payload: 'a,1' }, path: '/api/v1/items', method: 'post', status: 415 },
  { name: 'not found', request: { url: '/api/v1/items/missing' }, path: '/api/v1/items/{itemId}', method: 'get', status: 404 },
  { name: 'unexpected error', request: { url: '/api/v1/items/broken' }, path: '/api/v1/items/{itemId}', method: 'get', status: 500 },
  { name: 'dependency down', request: { url: '/api/v1/items/upstream-down' }, path: '/api/v1/items/{itemId}', method: 'get', status: 503 },
];

describe('every error answer matches the response schema /openapi.json declares for it', () => {
  for (const { name, request, path, method, status } of battery) {
    it(name, async () => {
      const res = await app.inject(request);
      expect(res.statusCode).toBe(status);
      expect(res.headers['content-type']).toContain('application/json');
      expectMatchesDeclared(res.json(), path, method, status);
    });
  }

  it("a route's own declared error schema is kept, the kit's fill the rest", async () => {
    expect(declaredSchema('/api/v1/items/{itemId}', 'put', 409)).toMatchObject({ properties: { error: { properties: { code: { enum: ['CONFLICT'] } } } } });
    const conflict = await app.inject({ method: 'PUT', url: '/api/v1/items/a-1', headers: json, payload: '{"name":"a","quantity":1}' });
    expect(conflict.statusCode).toBe(409);
    expectMatchesDeclared(conflict.json(), '/api/v1/items/{itemId}', 'put', 409);
    const documented = Object.keys(document.paths['/api/v1/items']!.post!.responses);
    expect(documented).toEqual(expect.arrayContaining(['201', '400', '404', '405', '413', '414', '415', '500', '503']));
    const bodyless = Object.keys(document.paths['/api/v1/items/{itemId}']!.get!.responses);
    expect(bodyless).not.toContain('413');
  });
});
