/**
 * The platform's /health tells degraded from down, per service and overall, from what each
 * service's readiness answers (scripted upstreams on real ports).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { UPSTREAMS } from '../src/upstreams.js';
import { answerJson, envelope, startGateway, startScripted, urlOf, type ScriptedUpstream } from './helpers.js';

const report = (status: string, checks: Record<string, unknown>) => ({
  status,
  service: 'scripted',
  version: '1.2.3',
  uptimeSeconds: 5,
  checks,
});

let adminReadiness: 'ok' | 'degraded' | 'down' = 'ok';
let healthy: ScriptedUpstream;
let admin: ScriptedUpstream;
let gateway: FastifyInstance;

beforeAll(async () => {
  healthy = await startScripted((_req, res) => answerJson(res, 200, envelope({ data: report('ok', { mongo: { status: 'up', latencyMs: 1 } }) })));
  admin = await startScripted((_req, res) => {
    const kafkaDown = { mongo: { status: 'up', latencyMs: 1 }, kafka: { status: 'down', latencyMs: 2, error: 'broker unreachable' } };
    if (adminReadiness === 'ok') return answerJson(res, 200, envelope({ data: report('ok', { mongo: { status: 'up', latencyMs: 1 } }) }));
    if (adminReadiness === 'degraded') return answerJson(res, 200, envelope({ data: report('degraded', kafkaDown) }));
    return answerJson(res, 503, JSON.stringify({
      success: false,
      data: report('down', { mongo: { status: 'down', latencyMs: 2000, error: 'no answer within 2000 ms' } }),
      error: { code: 'SERVICE_UNAVAILABLE', message: 'Not ready: mongo down' },
      metadata: { timestamp: new Date().toISOString(), requestId: 'scripted', version: 'v1' },
    }));
  });
  const urls = Object.fromEntries(UPSTREAMS.map((u) => [u.name, u.name === 'admin' ? admin.url : healthy.url]));
  gateway = await startGateway(urls);
});

afterAll(async () => {
  await gateway?.close();
  await healthy?.close();
  await admin?.close();
});

async function platformHealth() {
  const res = await fetch(`${urlOf(gateway)}/health`);
  return { status: res.status, body: (await res.json()) as any };
}

describe('GET /health', () => {
  it('is ok when every service is up', async () => {
    adminReadiness = 'ok';
    const res = await platformHealth();
    expect(res.status).toBe(200);
    expect(res.body.data.status).toBe('ok');
    expect(res.body.data.services.admin.status).toBe('up');
  });

  it('shows a service whose optional dependency is down as degraded, and the platform as degraded but ready (200)', async () => {
    adminReadiness = 'degraded';
    const res = await platformHealth();
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(res.body.data.status).toBe('degraded');
    expect(res.body.data.services.admin).toMatchObject({ status: 'degraded', version: '1.2.3', checks: { kafka: { status: 'down' } } });
    for (const { name } of UPSTREAMS.filter((u) => u.name !== 'admin')) expect(res.body.data.services[name].status).toBe('up');
  });

  it('answers 503 naming the service that is down, and tells it apart from degraded ones', async () => {
    adminReadiness = 'down';
    const res = await platformHealth();
    expect(res.status).toBe(503);
    expect(res.body.data.status).toBe('degraded'); // the others still serve
    expect(res.body.data.services.admin).toMatchObject({ status: 'down', error: 'Not ready: mongo down' });
    expect(res.body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: 'Not ready: admin', details: { down: ['admin'], degraded: [] } });
  });
});
