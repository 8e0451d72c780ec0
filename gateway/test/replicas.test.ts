/**
 * A service with two replicas behind one gateway (`ORDER_SERVICE_URL=<a>,<b>`, as
 * `npm start -- --replicas 2` sets it): calls take turns, each replica has its own breaker, a
 * replica that goes away stops getting calls (idempotent calls in flight move to the other one),
 * and once it is back its breaker's trial call lets it share the work again. The replicas are
 * plain HTTP servers on real ports, stopped and started again on the same port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { waitFor } from '@foodxchange/service-kit/testing';
import { ReplicaBalancer } from '../src/replicas.js';
import { answerJson, envelope, fetchBody, signedIn, startGateway, startScripted, urlOf, type ScriptedUpstream } from './helpers.js';

const RESET_MS = 1000;

/** One replica of the order service: answers with its name; stoppable and restartable on its port. */
class Replica {
  server: Server | undefined;
  port = 0;
  readonly hits = new Map<string, number>();
  draining = false;

  constructor(readonly name: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  hitsOf(key: string): number {
    return this.hits.get(key) ?? 0;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '').split('?')[0]!;
    const key = `${req.method} ${path}`;
    this.hits.set(key, (this.hits.get(key) ?? 0) + 1);
    req.resume();
    if (path === '/health/ready') {
      return answerJson(res, 200, envelope({ data: { status: 'ok', service: 'order', version: '1.0.0', uptimeSeconds: 1, checks: {} } }));
    }
    if (this.draining) {
      const body = envelope({ error: { code: 'SERVICE_UNAVAILABLE', message: 'This instance is shutting down' } });
      return answerJson(res, 503, body, { connection: 'close' });
    }
    if (path.startsWith('/api/v1/orders')) return answerJson(res, req.method === 'POST' ? 201 : 200, envelope({ data: { replica: this.name } }));
    return answerJson(res, 404, envelope({ error: { code: 'NOT_FOUND', message: `no ${key}` } }));
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Gone at once, as a SIGKILLed process: open connections are cut, new ones refused. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const a = new Replica('a');
const b = new Replica('b');
let others: ScriptedUpstream;
let gateway: FastifyInstance;
let base: string;

beforeAll(async () => {
  await a.start();
  await b.start();
  others = await startScripted((_req, res) => answerJson(res, 404, envelope({ error: { code: 'NOT_FOUND', message: 'not here' } })));
  gateway = await startGateway(
    { order: `${a.url}, ${b.url}`, auth: others.url },
    { BREAKER_VOLUME_THRESHOLD: 2, BREAKER_ERROR_THRESHOLD_PERCENT: 50, BREAKER_RESET_MS: RESET_MS },
  );
  base = urlOf(gateway);
});

afterAll(async () => {
  await gateway?.close();
  await a.stop();
  await b.stop();
  await others?.close();
});

const call = async (path: string, init: RequestInit = {}) => fetchBody(`${base}${path}`, await signedIn(init));
const post = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const breakerOf = (replica: Replica) => gateway.breakers.get(`order@127.0.0.1:${replica.port}`)!;

async function answersFrom(count: number, init?: () => RequestInit): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < count; i += 1) {
    const res = await call('/api/v1/orders/ping', init?.());
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    const name = res.body.data.replica as string;
    seen[name] = (seen[name] ?? 0) + 1;
  }
  return seen;
}

describe('a service with two replicas', () => {
  it('has a breaker per replica, named after the service and the replica', () => {
    expect(breakerOf(a)).toBeDefined();
    expect(breakerOf(b)).toBeDefined();
    expect(breakerOf(a)).not.toBe(breakerOf(b));
    expect(gateway.breakers.has('order')).toBe(false);
    // A service with one replica keeps the service's name.
    expect(gateway.breakers.has('rfq')).toBe(true);
  });

  it('takes turns between the replicas', async () => {
    expect(await answersFrom(10)).toEqual({ a: 5, b: 5 });
    expect(await answersFrom(4, () => post({ n: 1 }))).toEqual({ a: 2, b: 2 });
  });

  it('shows both replicas in the aggregated health, and the service degraded while one is down', async () => {
    const healthy = await fetchBody(`${base}/health`);
    const order = healthy.body.data.services.order;
    expect(order.status).toBe('up');
    expect(order.replicas.map((r: { url: string; status: string }) => [r.url, r.status])).toEqual([
      [a.url, 'up'],
      [b.url, 'up'],
    ]);
    await b.stop();
    const oneDown = await fetchBody(`${base}/health`);
    expect(oneDown.body.data.services.order.status).toBe('degraded');
    expect(oneDown.body.data.services.order.error).toContain('1 of 2 replicas not ready');
    expect(oneDown.body.data.services.order.replicas[1].status).toBe('down');
    await b.start();
  });

  it('a replica that goes away: GETs move to the other one, and its breaker opens so nothing more is sent to it', async () => {
    await b.stop();
    // Every GET is answered: a call that met the dead replica failed over to the live one. Its
    // breaker opens once failures pass half of its calls in the rolling window (earlier tests'
    // successes are in there too).
    await waitFor(
      async () => {
        expect(await answersFrom(2)).toEqual({ a: 2 });
        return breakerOf(b).opened;
      },
      { what: "the dead replica's breaker open" },
    );
    expect(breakerOf(a).closed).toBe(true);
    // With its breaker open, even POSTs (never retried) only go to the live replica.
    const hitsBefore = a.hitsOf('POST /api/v1/orders/ping');
    expect(await answersFrom(4, () => post({ n: 2 }))).toEqual({ a: 4 });
    expect(a.hitsOf('POST /api/v1/orders/ping') - hitsBefore).toBe(4);
  });

  it('the replica back on its port: its breaker closes after a trial call, and the replicas share calls again', async () => {
    await b.start();
    // The breaker lets a trial call through after its reset time; the calls that find it
    // half-open and succeed close it.
    await waitFor(
      async () => {
        await call('/api/v1/orders/ping');
        return breakerOf(b).closed;
      },
      { what: "the restarted replica's breaker closed", timeoutMs: 20_000 },
    );
    expect(await answersFrom(10)).toEqual({ a: 5, b: 5 });
  });

  it('a draining replica: a GET moves to the other replica, a POST gets the 503, and neither opens its breaker', async () => {
    b.draining = true;
    try {
      // Round robin sends every other call to the draining replica.
      expect(await answersFrom(6)).toEqual({ a: 6 });
      const answers = await Promise.all([0, 1, 2, 3].map(() => call('/api/v1/orders/ping', post({ n: 3 }))));
      const statuses = answers.map((answer) => answer.status).sort();
      expect(statuses).toEqual([201, 201, 503, 503]);
      for (const answer of answers.filter((x) => x.status === 503)) expect(answer.body.error.code).toBe('SERVICE_UNAVAILABLE');
      expect(breakerOf(b).closed).toBe(true);
    } finally {
      b.draining = false;
    }
  });

  it('reports each replica’s breaker in the metrics', async () => {
    const metrics = await fetch(`${base}/metrics`).then((res) => res.text());
    expect(metrics).toContain(`gateway_breaker_state{service="order",replica="127.0.0.1:${a.port}"} 0`);
    expect(metrics).toContain(`gateway_breaker_state{service="order",replica="127.0.0.1:${b.port}"} 0`);
    expect(metrics).toMatch(/gateway_proxied_requests_total\{service="order",outcome="failed-over"\} [1-9]/);
  });
});

describe('ReplicaBalancer', () => {
  type State = 'closed' | 'trial' | 'trialOut' | 'open';
  const breaker = (state: State) => ({
    closed: state === 'closed',
    halfOpen: state === 'trial' || state === 'trialOut',
    pendingClose: state === 'trial',
    opened: state === 'open',
  });
  const replica = (name: string, state: State) => ({ url: name, address: name, breaker: breaker(state) as never });

  it('takes turns among replicas whose breaker admits a call: closed, or half-open with its trial not yet out', () => {
    const balancer = new ReplicaBalancer([replica('x', 'open'), replica('y', 'trial'), replica('z', 'closed'), replica('w', 'trialOut')]);
    expect([1, 2, 3, 4].map(() => balancer.pick().url)).toEqual(['y', 'y', 'z', 'y']);
    const allRefuse = new ReplicaBalancer([replica('x', 'open'), replica('y', 'trialOut')]);
    // Nobody admits: the next in turn, whose breaker then refuses the call.
    expect([1, 2, 3].map(() => allRefuse.pick().url)).toEqual(['x', 'y', 'x']);
  });

  it('names an alternative whose breaker admits the call, or none', () => {
    const x = replica('x', 'closed');
    const y = replica('y', 'open');
    const z = replica('z', 'trial');
    const balancer = new ReplicaBalancer([x, y, z]);
    expect(balancer.alternativeTo(x)?.url).toBe('z');
    expect(balancer.alternativeTo(z)?.url).toBe('x');
    expect(new ReplicaBalancer([x, y]).alternativeTo(x)).toBeUndefined();
    expect(() => new ReplicaBalancer([])).toThrow();
  });
});
