/**
 * What `npm start -- --replicas 2` builds, checked on real processes: the launcher's port scheme
 * and the environment it gives each replica, two real gateways launched with every service's two
 * URLs, and Debian's nginx on the gateway's port balancing between them. (The services' own side
 * of replicas — shared groups, rebalances, failover — is replicas.test.ts and the gateway's tests.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewayReplicaPort, launch, portOf, REPLICA_PORT_STEP, SERVICES, stopProcesses, upstreamEnv, type RunningProcess } from '../../scripts/platform.js';
import { startNginx, type RunningNginx } from '../../scripts/nginx.js';
import { infra } from './support.js';

const PORT_OFFSET = 14_000;

describe('the port scheme of replicas', () => {
  it('puts replica k of a service 100 × (k − 1) above its port, and the gateways above nginx on the gateway port', () => {
    expect(REPLICA_PORT_STEP).toBe(100);
    const env = upstreamEnv(0, '127.0.0.1', 2);
    expect(env.ORDER_SERVICE_URL).toBe('http://127.0.0.1:3006,http://127.0.0.1:3106');
    expect(Object.keys(env)).toHaveLength(SERVICES.length);
    for (const service of SERVICES) expect(env[`${service.name.toUpperCase()}_SERVICE_URL`]!.split(',')).toHaveLength(2);
    // One replica keeps the single URL of before.
    expect(upstreamEnv(0).ORDER_SERVICE_URL).toBe('http://127.0.0.1:3006');
    expect([gatewayReplicaPort(1), gatewayReplicaPort(2)]).toEqual([8180, 8280]);
  });
});

describe('two gateways launched as replicas, behind nginx', () => {
  let gateways: RunningProcess[] = [];
  let nginx: RunningNginx | undefined;

  beforeAll(async () => {
    gateways = launch({
      infra,
      portOffset: PORT_OFFSET,
      replicas: 2,
      only: ['gateway'],
      logDir: mkdtempSync(join(tmpdir(), 'foodxchange-launcher-')),
      envFor: () => ({ NODE_ENV: 'test', LOG_LEVEL: 'warn', RATE_LIMIT_NAMESPACE: `e2e:launcher:${Date.now()}:` }),
    });
    // Live is enough: the services they point at are not part of this test.
    await Promise.all(
      gateways.map(async (gateway) => {
        for (const deadline = Date.now() + 120_000; ; ) {
          const live = await fetch(`http://127.0.0.1:${gateway.port}/health/live`).then((res) => res.ok, () => false);
          if (live) return;
          if (gateway.child.exitCode !== null || Date.now() > deadline) throw new Error(`gateway #${gateway.replica} did not start; see ${gateway.log}`);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }),
    );
    nginx = await startNginx(
      gateways.map((gateway) => gateway.port),
      { port: portOf('gateway', PORT_OFFSET) },
    );
  });

  afterAll(async () => {
    await nginx?.stop();
    await stopProcesses(gateways);
  });

  it('are replicas 1 and 2 on their ports', () => {
    expect(gateways.map((g) => [g.name, g.replica, g.port])).toEqual([
      ['gateway', 1, gatewayReplicaPort(1, PORT_OFFSET)],
      ['gateway', 2, gatewayReplicaPort(2, PORT_OFFSET)],
    ]);
  });

  it('nginx on the gateway port answers through both gateways in turn', async () => {
    expect(nginx!.url).toBe(`http://127.0.0.1:${portOf('gateway', PORT_OFFSET)}`);
    const instances = new Set<string>();
    for (let i = 0; i < 6; i += 1) {
      const res = await fetch(`${nginx!.url}/health/live`);
      expect(res.status).toBe(200);
      instances.add(res.headers.get('x-gateway-instance') ?? '');
    }
    expect([...instances].sort()).toEqual(['gateway-1', 'gateway-2']);
  });

  it('each gateway knows both replicas of every service', async () => {
    for (const gateway of gateways) {
      // The services are not running: the platform is down (503), and the answer lists the replicas it probed.
      const res = await fetch(`http://127.0.0.1:${gateway.port}/health`);
      const body = (await res.json()) as { data: { services: Record<string, { status: string; replicas: { url: string }[] }> } };
      for (const service of SERVICES) {
        const first = portOf(service.name, PORT_OFFSET);
        expect(body.data.services[service.name]!.replicas.map((r) => r.url)).toEqual([`http://127.0.0.1:${first}`, `http://127.0.0.1:${first + REPLICA_PORT_STEP}`]);
        expect(body.data.services[service.name]!.status).toBe('down');
      }
    }
  });
});
