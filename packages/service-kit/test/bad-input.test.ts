import { publicByDefault } from '../src/testing.js';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { buildService, Envelope, ErrorEnvelopeSchema, ok, serviceKit, type ServiceApp } from '../src/index.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const isEnvelope = addFormats(new Ajv({ strict: false })).compile(ErrorEnvelopeSchema);

const service = { name: 'kit-bad-input', version: '1.0.0', description: 'bad input test service', defaultPort: 0 };

const ProductSchema = Type.Object({ name: Type.String(), tags: Type.Optional(Type.Array(Type.String(), { maxItems: 10 })) });
const OrderBody = Type.Object({
  products: Type.Array(ProductSchema, { maxItems: 100 }),
  notes: Type.Optional(Type.Record(Type.String(), Type.String())),
  // Anything goes here as far as the schema is concerned: only the kit bounds its depth.
  extra: Type.Optional(Type.Unknown()),
});

const testApp: ServiceApp = async (app, { config }) => {
  await app.register(serviceKit, { service, config, mongo: false });
  publicByDefault(app);
  app.post('/orders', { schema: { body: OrderBody, response: { 201: Envelope(OrderBody) } } }, async (request, reply) =>
    reply.code(201).send(ok(request.body)),
  );
  app.get(
    '/orders/:orderId',
    { schema: { params: Type.Object({ orderId: Type.String() }), querystring: Type.Object({ rfqId: Type.Optional(Type.String()) }) } },
    async (request) => ok({ params: request.params, query: request.query }),
  );
  app.delete('/orders/:orderId', async () => ok({ deleted: true }));
  // A route without any schema: the kit's refusals cover it too.
  app.get('/free/:anything', async (request) => ok({ params: request.params, query: request.query }));
};

let app: FastifyInstance;
let port: number;
beforeAll(async () => {
  app = await buildService(service, testApp, { LOG_LEVEL: 'silent' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await app.close();
});

const JSON_HEADERS = { 'content-type': 'application/json' };

function post(payload: string | Buffer) {
  return app.inject({ method: 'POST', url: '/orders', headers: JSON_HEADERS, payload });
}

/** One request written as raw bytes, past every client library's own header checks. */
function rawRequest(bytes: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (received += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = received.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
  });
}

function expectEnvelope(body: unknown, code: string) {
  expect(isEnvelope(body), JSON.stringify(isEnvelope.errors)).toBe(true);
  expect(body).toMatchObject({ success: false, error: { code } });
}

describe('the NUL character is refused everywhere with a 400 naming the field', () => {
  it('in a body string at any depth, and in a key', async () => {
    const res = await post('{"products":[{"name":"ok"},{"name":"To\\u0000mato","tags":["a","b\\u0000"]}],"notes":{"ke\\u0000y":"v"}}');
    expect(res.statusCode).toBe(400);
    expectEnvelope(res.json(), 'VALIDATION_ERROR');
    expect(res.json().error.fields).toEqual({
      'body.products.1.name': ['must not contain the NUL character'],
      'body.products.1.tags.1': ['must not contain the NUL character'],
      'body.notes.ke\\u0000y': ['name must not contain the NUL character'],
    });
  });

  it('in the query string and the path parameters, with or without a schema', async () => {
    const query = await app.inject({ url: '/orders/o-1?rfqId=%00' });
    expect(query.statusCode).toBe(400);
    expectEnvelope(query.json(), 'VALIDATION_ERROR');
    expect(query.json().error.fields).toEqual({ 'querystring.rfqId': ['must not contain the NUL character'] });

    const param = await app.inject({ url: '/orders/o%001' });
    expect(param.statusCode).toBe(400);
    expect(param.json().error.fields).toEqual({ 'params.orderId': ['must not contain the NUL character'] });

    const free = await app.inject({ url: '/free/a%00b?x=1&y=%00&y=2' });
    expect(free.statusCode).toBe(400);
    expect(free.json().error.fields).toEqual({
      'params.anything': ['must not contain the NUL character'],
      'querystring.y.0': ['must not contain the NUL character'],
    });

    // What only looks like a NUL passes.
    expect((await app.inject({ url: '/orders/o-1?rfqId=%2500' })).json().data).toEqual({ params: { orderId: 'o-1' }, query: { rfqId: '%00' } });
    expect((await post('{"products":[{"name":"Tomato \\\\u0000 is how JSON writes NUL"}]}')).statusCode).toBe(201);
  });

  it('in the headers the platform stores or passes on', async () => {
    const res = await app.inject({ url: '/orders/o-1', headers: { 'idempotency-key': 'key\u0000', 'x-correlation-id': 'corr-\u0000-12345678' } });
    expect(res.statusCode).toBe(400);
    expectEnvelope(res.json(), 'VALIDATION_ERROR');
    expect(res.json().error.fields).toEqual({
      'headers.x-correlation-id': ['must not contain the NUL character'],
      'headers.idempotency-key': ['must not contain the NUL character'],
    });
  });

  it('sent raw in a header, where the HTTP parser refuses it, still answers an envelope', async () => {
    for (const header of ['X-Request-Id', 'X-Correlation-Id', 'Idempotency-Key']) {
      const res = await rawRequest(`GET /orders/o-1 HTTP/1.1\r\nHost: localhost\r\n${header}: a\0b\r\n\r\n`);
      expect(res.status, header).toBe(400);
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.headers.connection).toBe('close');
      const body = JSON.parse(res.body);
      expectEnvelope(body, 'VALIDATION_ERROR');
      expect(res.headers['x-request-id']).toBe(body.metadata.requestId);
    }
  });
});

describe("Fastify's and Node's own refusals are envelopes", () => {
  it('a path parameter over the length limit → 414 envelope', async () => {
    const res = await app.inject({ url: `/orders/${'x'.repeat(101)}` });
    expect(res.statusCode).toBe(414);
    expectEnvelope(res.json(), 'VALIDATION_ERROR');
    expect(res.json().error.message).toBe('A path parameter is longer than 100 characters');
    expect(res.headers['x-request-id']).toBe(res.json().metadata.requestId);
  });

  it('a badly percent-encoded URL, or an empty JSON body → 400 envelope', async () => {
    const res = await app.inject({ url: '/orders/%zz' });
    expect(res.statusCode).toBe(400);
    expectEnvelope(res.json(), 'VALIDATION_ERROR');
    const empty = await post('');
    expect(empty.statusCode).toBe(400);
    expectEnvelope(empty.json(), 'VALIDATION_ERROR');
  });

  it('a request line the HTTP parser refuses → 400 envelope', async () => {
    const res = await rawRequest('GET /orders/o 1 HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect(res.status).toBe(400);
    expectEnvelope(JSON.parse(res.body), 'VALIDATION_ERROR');
  });
});

describe('hostile JSON bodies get fast 400s', () => {
  it('__proto__ and constructor.prototype keys', async () => {
    for (const payload of [
      '{"products":[],"__proto__":{"admin":true}}',
      '{"products":[{"name":"x","\\u005f_proto__":{"admin":true}}]}',
      '{"products":[],"constructor":{"prototype":{"admin":true}}}',
    ]) {
      const res = await post(payload);
      expect(res.statusCode, payload).toBe(400);
      expectEnvelope(res.json(), 'VALIDATION_ERROR');
      expect(res.json().error.message).toBe('Request body must not contain "__proto__" or "constructor.prototype" keys');
    }
  });

  it('invalid UTF-8', async () => {
    const res = await post(Buffer.concat([Buffer.from('{"products":[{"name":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}]}')]));
    expect(res.statusCode).toBe(400);
    expectEnvelope(res.json(), 'VALIDATION_ERROR');
    expect(res.json().error.message).toBe('Request body is not valid UTF-8');
  });

  it('100,000 levels of nesting, unclosed, closed, or where the schema allows anything', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    for (const payload of ['['.repeat(100_000), deep, `{"products":[],"extra":${deep}}`]) {
      const res = await post(payload);
      expect(res.statusCode).toBe(400);
      expectEnvelope(res.json(), 'VALIDATION_ERROR');
    }
    const extra = await post(`{"products":[],"extra":${deep}}`);
    expect(extra.json().error.message).toBe('Request body nests deeper than 32 levels');
    // Nesting the platform's payloads use is fine.
    expect((await post(`{"products":[],"extra":${'['.repeat(30)}${']'.repeat(30)}}`)).statusCode).toBe(201);
  });

  it('a very large array answers a small 400, not one error per item', async () => {
    const res = await post(JSON.stringify({ products: [{ name: 'x', tags: new Array(200_000).fill(0) }] }));
    expect(res.statusCode).toBe(400);
    expectEnvelope(res.json(), 'VALIDATION_ERROR');
    expect(res.json().error.fields).toEqual({ 'body.products.0.tags': ['must NOT have more than 10 items'] });
    expect(res.body.length).toBeLessThan(1000);
  });

  it('small invalid bodies still name every problem, at most 50 paths of them', async () => {
    const few = await post(JSON.stringify({ products: [{ name: 1 }, { tags: ['a', 2] }] }));
    expect(few.json().error.fields).toEqual({
      'body.products.0.name': ['must be string'],
      'body.products.1.name': ['is required'],
      'body.products.1.tags.1': ['must be string'],
    });
    const many = await post(JSON.stringify({ products: Array.from({ length: 80 }, () => ({ name: 1 })) }));
    expect(Object.keys(many.json().error.fields)).toHaveLength(50);
  });
});

describe('a known path with a method it does not have', () => {
  it('answers 405 with Allow listing the methods the path has', async () => {
    const res = await app.inject({ method: 'PUT', url: '/orders/o-1' });
    expect(res.statusCode).toBe(405);
    expectEnvelope(res.json(), 'METHOD_NOT_ALLOWED');
    expect(res.headers.allow).toBe('GET, HEAD, DELETE, OPTIONS');
    expect(res.json().error.details).toEqual({ allowed: ['GET', 'HEAD', 'DELETE', 'OPTIONS'] });

    const collection = await app.inject({ method: 'GET', url: '/orders?x=1' });
    expect(collection.statusCode).toBe(405);
    expect(collection.headers.allow).toBe('POST, OPTIONS');
  });

  it('answers OPTIONS with 204 and Allow; HEAD follows GET', async () => {
    const options = await app.inject({ method: 'OPTIONS', url: '/orders/o-1' });
    expect(options.statusCode).toBe(204);
    expect(options.headers.allow).toBe('GET, HEAD, DELETE, OPTIONS');
    expect((await app.inject({ method: 'HEAD', url: '/orders/o-1' })).statusCode).toBe(200);
    // Unknown paths stay 404, whatever the method.
    for (const method of ['GET', 'PUT', 'OPTIONS'] as const) {
      const res = await app.inject({ method, url: '/nowhere/at/all' });
      expect(res.statusCode).toBe(404);
      expectEnvelope(res.json(), 'NOT_FOUND');
    }
  });
});
