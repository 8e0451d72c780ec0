import { publicByDefault } from '../src/testing.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { buildService, ConflictError, Envelope, ok, serviceKit, type ServiceApp } from '../src/index.js';

const service = { name: 'kit-http', version: '1.2.3', description: 'kit test service', defaultPort: 0 };

const ItemBody = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    quantity: Type.Integer({ minimum: 1 }),
    tags: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);

const testApp: ServiceApp = async (app, { config }) => {
  await app.register(serviceKit, { service, config, mongo: false });
  publicByDefault(app);
  app.post(
    '/api/v1/items',
    { schema: { body: ItemBody, response: { 201: Envelope(ItemBody) } } },
    async (request, reply) => reply.code(201).send(ok(request.body as typeof ItemBody.static)),
  );
  app.get(
    '/api/v1/items/:id',
    { schema: { params: Type.Object({ id: Type.Integer({ minimum: 1 }) }), querystring: Type.Object({ verbose: Type.Optional(Type.Boolean()) }) } },
    async (request) => ok({ id: (request.params as { id: number }).id, verbose: (request.query as { verbose?: boolean }).verbose ?? false }),
  );
  app.get('/api/v1/conflict', async () => {
    throw new ConflictError('Already awarded', { rfqId: 'r1' });
  });
  app.get('/api/v1/boom', async () => {
    throw new Error('secret database detail');
  });
};

let app: FastifyInstance;
beforeAll(async () => {
  app = await buildService(service, testApp, { LOG_LEVEL: 'silent', BODY_LIMIT_BYTES: 2048 });
});
afterAll(async () => {
  await app.close();
});

function json(body: unknown) {
  return { headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) };
}

describe('standard envelope', () => {
  it('wraps success with metadata carrying the request id and version', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/items', headers: { 'content-type': 'application/json', 'x-request-id': 'req-12345678' }, payload: JSON.stringify({ name: 'Olive oil', quantity: 3 }) });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ success: true, data: { name: 'Olive oil', quantity: 3 }, metadata: { requestId: 'req-12345678', version: 'v1' } });
    expect(Date.parse(body.metadata.timestamp)).not.toBeNaN();
    expect(res.headers['x-request-id']).toBe('req-12345678');
  });

  it('propagates the correlation id and generates one when absent', async () => {
    const given = await app.inject({ url: '/api/v1/items/7', headers: { 'x-correlation-id': 'corr-abcdefgh' } });
    expect(given.headers['x-correlation-id']).toBe('corr-abcdefgh');
    const fresh = await app.inject({ url: '/api/v1/items/7' });
    expect(fresh.headers['x-correlation-id']).toBe(fresh.json().metadata.requestId);
  });

  it('coerces query strings and params but not bodies', async () => {
    const res = await app.inject({ url: '/api/v1/items/7?verbose=true' });
    expect(res.json().data).toEqual({ id: 7, verbose: true });
    const bad = await app.inject({ method: 'POST', url: '/api/v1/items', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'x', quantity: '3' }) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.fields).toEqual({ 'body.quantity': ['must be integer'] });
  });
});

describe('bad input is a 4xx envelope, never a 500', () => {
  it('malformed JSON → 400', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/items', headers: { 'content-type': 'application/json' }, payload: '{"name": "oil",' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' } });
  });

  it('missing and unknown fields → 400 with field errors', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/items', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ colour: 'red' }) });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.fields).toEqual({
      'body.name': ['is required'],
      'body.quantity': ['is required'],
      'body.colour': ['is not allowed'],
    });
  });

  it('nested wrong types name the exact path', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/items', ...json({ name: 'x', quantity: 0, tags: ['a', 5] }) });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.fields).toEqual({ 'body.quantity': ['must be >= 1'], 'body.tags.1': ['must be string'] });
  });

  it('bad params → 400 naming the param', async () => {
    const res = await app.inject({ url: '/api/v1/items/zero' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.fields).toHaveProperty('params.id');
  });

  it('oversized body → 413', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/items', ...json({ name: 'x'.repeat(5000), quantity: 1 }) });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ success: false, error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('wrong content type → 415', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/items', headers: { 'content-type': 'text/csv' }, payload: 'name,quantity\nx,1' });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({ success: false, error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
  });

  it('unknown route → 404 envelope', async () => {
    const res = await app.inject({ url: '/api/v1/nothing-here?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ success: false, error: { code: 'NOT_FOUND', message: 'Route GET /api/v1/nothing-here not found' } });
  });

  it('domain errors keep their code and details', async () => {
    const res = await app.inject({ url: '/api/v1/conflict' });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toEqual({ code: 'CONFLICT', message: 'Already awarded', details: { rfqId: 'r1' } });
  });

  it('unexpected errors → 500 envelope that leaks nothing', async () => {
    const res = await app.inject({ url: '/api/v1/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.json().error).toEqual({ code: 'INTERNAL_ERROR', message: 'An unexpected error occurred' });
    expect(res.body).not.toContain('secret');
  });
});

describe('operations endpoints', () => {
  it('health is ready with no dependencies, liveness always answers', async () => {
    const ready = await app.inject({ url: '/health' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().data).toMatchObject({ status: 'ok', service: 'kit-http', version: '1.2.3', checks: {} });
    expect((await app.inject({ url: '/health/live' })).json().data).toEqual({ status: 'ok' });
  });

  it('reports a failing dependency as 503 with the check named', async () => {
    app.health.addCheck('flaky', async () => {
      throw new Error('connection refused');
    });
    const res = await app.inject({ url: '/health/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      success: false,
      error: { code: 'SERVICE_UNAVAILABLE', message: 'Not ready: flaky down' },
      data: { status: 'down', checks: { flaky: { status: 'down', error: 'connection refused' } } },
    });
  });

  it('serves its OpenAPI document with routes, schemas and the error envelope', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.0.3');
    expect(doc.info).toMatchObject({ title: 'FoodXchange kit-http service', version: '1.2.3' });
    const post = doc.paths['/api/v1/items'].post;
    expect(post.requestBody.content['application/json'].schema.required).toEqual(['name', 'quantity']);
    expect(post.responses).toHaveProperty('4XX');
    expect(doc.paths).not.toHaveProperty('/metrics');
  });

  it('exposes Prometheus metrics with route labels', async () => {
    await app.inject({ url: '/api/v1/items/3' });
    const res = await app.inject({ url: '/metrics' });
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('http_request_duration_seconds_bucket');
    expect(res.body).toMatch(/http_requests_total\{[^}]*route="\/api\/v1\/items\/:id"[^}]*\} \d+/);
  });

  it('counts each request once, by route pattern, status and method; unknown paths under one label', async () => {
    const countOf = async (pattern: RegExp) => Number(pattern.exec((await app.inject({ url: '/metrics' })).body)?.[1] ?? 0);
    const itemsOk = /http_requests_total\{method="GET",route="\/api\/v1\/items\/:id",status_code="200"[^}]*\} (\d+)/;
    const unmatched = /http_requests_total\{method="GET",route="unmatched",status_code="404"[^}]*\} (\d+)/;
    const [itemsBefore, unmatchedBefore] = [await countOf(itemsOk), await countOf(unmatched)];
    await app.inject({ url: '/api/v1/items/4' });
    await app.inject({ url: '/api/v1/items/5' });
    await app.inject({ url: '/no/such/path/1' });
    await app.inject({ url: '/no/such/path/2' });
    await app.inject({ url: '/no/such/path/3' });
    expect(await countOf(itemsOk)).toBe(itemsBefore + 2);
    expect(await countOf(unmatched)).toBe(unmatchedBefore + 3);
    // Raw URLs never become labels: cardinality stays bounded.
    expect((await app.inject({ url: '/metrics' })).body).not.toContain('/no/such/path');
  });
});
