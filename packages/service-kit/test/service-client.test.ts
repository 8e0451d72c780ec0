import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { ServiceClient, ServiceUnavailableError } from '../src/index.js';

let upstream: FastifyInstance;
let baseUrl: string;
const hits = { fail: 0 };
const clients: ServiceClient[] = [];

function client(overrides: Partial<ConstructorParameters<typeof ServiceClient>[0]> = {}) {
  const made = new ServiceClient({ name: 'catalog', baseUrl, timeoutMs: 300, volumeThreshold: 3, resetTimeoutMs: 500, ...overrides });
  clients.push(made);
  return made;
}

beforeAll(async () => {
  // A real HTTP server on loopback standing in for another service.
  upstream = Fastify();
  upstream.get('/ok', async (request) => ({ success: true, data: { correlation: request.headers['x-correlation-id'] ?? null } }));
  upstream.get('/missing', async (_request, reply) => reply.code(404).send({ success: false, error: { code: 'NOT_FOUND' } }));
  upstream.get('/fail', async (_request, reply) => {
    hits.fail += 1;
    return reply.code(500).send({ success: false });
  });
  upstream.get('/slow', async () => new Promise((resolve) => setTimeout(() => resolve({ late: true }), 2000)));
  await upstream.listen({ port: 0, host: '127.0.0.1' });
  const address = upstream.server.address();
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await upstream.close();
});

describe('service-to-service client', () => {
  it('returns the body and passes the correlation id on', async () => {
    const res = await client().get<{ data: { correlation: string } }>('/ok', { correlationId: 'corr-12345678' });
    expect(res).toEqual({ status: 200, body: { success: true, data: { correlation: 'corr-12345678' } } });
  });

  it('hands 4xx answers back without counting them as failures', async () => {
    const c = client();
    for (let i = 0; i < 5; i += 1) expect((await c.get('/missing')).status).toBe(404);
    expect(c.breaker.opened).toBe(false);
  });

  it('turns server errors into 503 and opens the breaker, then fails fast', async () => {
    const c = client();
    for (let i = 0; i < 3; i += 1) await expect(c.get('/fail')).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(c.breaker.opened).toBe(true);
    const before = hits.fail;
    const started = performance.now();
    await expect(c.get('/fail')).rejects.toMatchObject({ statusCode: 503, details: { reason: 'circuit open' } });
    expect(performance.now() - started).toBeLessThan(50);
    expect(hits.fail).toBe(before);
  });

  it('closes again after the reset timeout once the service recovers', async () => {
    const c = client();
    for (let i = 0; i < 3; i += 1) await expect(c.get('/fail')).rejects.toThrow();
    expect(c.breaker.opened).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await c.get('/ok')).status).toBe(200);
    expect(c.breaker.closed).toBe(true);
  });

  it('gives up on a hanging service within its timeout', async () => {
    const started = performance.now();
    await expect(client().get('/slow')).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('reports a service that is not listening as unavailable', async () => {
    const down = client({ baseUrl: 'http://127.0.0.1:1' });
    await expect(down.get('/ok')).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });

  it('answers with the fallback when one is given', async () => {
    const down = client({ baseUrl: 'http://127.0.0.1:1' });
    expect(await down.get('/ok', { fallback: () => ({ cached: true }) })).toEqual({ status: 200, body: { cached: true } });
  });
});
