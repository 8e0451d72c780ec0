import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { ServiceClient, ServiceUnavailableError } from '../src/index.js';

let upstream: FastifyInstance;
let baseUrl: string;
const hits = { fail: 0, hang: 0 };
const clients: ServiceClient[] = [];
// Hanging requests end when the test run does, never on a timer of their own.
let releaseHanging!: () => void;
const hangingReleased = new Promise<void>((resolve) => (releaseHanging = resolve));

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
  upstream.get('/hang', async () => {
    hits.hang += 1;
    await hangingReleased;
    return { late: true };
  });
  await upstream.listen({ port: 0, host: '127.0.0.1' });
  const address = upstream.server.address();
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  releaseHanging();
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
    // A reset timeout far beyond the test, so the breaker cannot half-open while it runs.
    const c = client({ resetTimeoutMs: 600_000 });
    for (let i = 0; i < 3; i += 1) await expect(c.get('/fail')).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(c.breaker.opened).toBe(true);
    // Failing fast means not calling the service at all: a call to one that hangs returns at
    // once, neither reaching it nor waiting for the timeout.
    const [failBefore, hangBefore] = [hits.fail, hits.hang];
    await expect(c.get('/fail')).rejects.toMatchObject({ statusCode: 503, details: { reason: 'circuit open' } });
    await expect(c.get('/hang')).rejects.toMatchObject({ statusCode: 503, details: { reason: 'circuit open' } });
    expect([hits.fail, hits.hang]).toEqual([failBefore, hangBefore]);
  });

  it('exposes each breaker on the app\'s registry as service_client_breaker_open{upstream}', async () => {
    const registry = new Registry();
    const open = client({ name: 'catalog', metrics: registry, resetTimeoutMs: 600_000 });
    client({ name: 'auth', metrics: registry });
    for (let i = 0; i < 3; i += 1) await expect(open.get('/fail')).rejects.toBeInstanceOf(ServiceUnavailableError);
    const text = await registry.metrics();
    expect(text).toMatch(/^service_client_breaker_open\{upstream="catalog"\} 1$/m);
    expect(text).toMatch(/^service_client_breaker_open\{upstream="auth"\} 0$/m);
  });

  it('closes again after the reset timeout once the service recovers', async () => {
    const c = client();
    const halfOpen = once(c.breaker, 'halfOpen');
    for (let i = 0; i < 3; i += 1) await expect(c.get('/fail')).rejects.toThrow();
    expect(c.breaker.opened).toBe(true);
    // The breaker lets a trial call through once it says so, not after a guessed sleep.
    await halfOpen;
    expect((await c.get('/ok')).status).toBe(200);
    expect(c.breaker.closed).toBe(true);
  });

  it('gives up on a hanging service by its timeout', async () => {
    // The service never answers during the test: only the client's own timeout can end the call.
    // (The breaker's timer and undici's headers timeout are both the client's timeout; either may win.)
    const failure = await client().get('/hang').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ServiceUnavailableError);
    expect((failure as ServiceUnavailableError).details).toMatchObject({ reason: expect.stringMatching(/time/i) });
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
