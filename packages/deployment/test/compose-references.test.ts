import { beforeAll, describe, expect, it } from 'vitest';
import {
  DESIGN_PORTS,
  SERVICE_NAMES,
  checkComposeReferences,
  checkInfrastructure,
  listApps,
  loadCompose,
  nginxUpstreamServers,
  parseDefaultPort,
  parseInfraUse,
  readText,
  repoRoot,
  type AppInfo,
} from '../src/index.js';
import { composeCopy, makeFixtureRoot } from './fixture.js';

let fixture: string;
let fixtureApps: AppInfo[];

beforeAll(() => {
  fixture = makeFixtureRoot();
  fixtureApps = listApps(fixture);
});

const check = (compose: ReturnType<typeof composeCopy>) => [
  ...checkComposeReferences(compose, { root: fixture, apps: fixtureApps }),
  ...checkInfrastructure(compose, { root: fixture }),
];

describe('docker-compose.yml against the repository', () => {
  it('has no obsolete top-level version', () => {
    expect(readText('docker-compose.yml')).not.toMatch(/^version\s*:/m);
  });

  it('passes every cross-reference check', () => {
    expect(checkComposeReferences(loadCompose(), { root: repoRoot, apps: listApps() })).toEqual([]);
  });

  it('runs the official infrastructure images, in step with the local launcher (infra/src/versions.ts)', () => {
    expect(checkInfrastructure(loadCompose(), { root: repoRoot })).toEqual([]);
  });

  it("uses each service's defaultPort from its src/app.ts, as DESIGN.md and scripts/platform.ts give it", () => {
    const platform = readText('scripts/platform.ts') ?? '';
    for (const name of SERVICE_NAMES) {
      const source = readText(`services/${name}/src/app.ts`);
      expect(source, `services/${name}/src/app.ts`).not.toBeNull();
      expect(parseDefaultPort(source!), name).toBe(DESIGN_PORTS[name]);
      if (platform) expect(platform, `scripts/platform.ts: ${name}`).toMatch(new RegExp(`name: '${name}',[^}]*port: ${DESIGN_PORTS[name]}\\b`));
      expect(loadCompose().services?.[name]?.environment, name).toMatchObject({ PORT: String(DESIGN_PORTS[name]) });
    }
    if (platform) expect(platform).toMatch(/GATEWAY[^=]*=\s*\{[^}]*port: 8080\b/);
  });

  it('gives the infrastructure only to the services whose app.ts registers it', () => {
    const compose = loadCompose();
    for (const app of listApps().filter((a) => a.kind === 'service')) {
      const deps = Object.keys(compose.services?.[app.name]?.depends_on ?? {});
      expect(deps.includes('redis'), `${app.name} redis`).toBe(app.uses.redis);
      expect(deps.includes('elasticsearch'), `${app.name} elasticsearch`).toBe(app.uses.elasticsearch);
      expect(deps, app.name).toEqual(expect.arrayContaining(['mongo', 'kafka']));
    }
  });
});

describe('reference checks catch broken files', () => {
  it('accept the committed file in a complete repository (baseline for the mutations)', () => {
    expect(check(composeCopy())).toEqual([]);
  });

  it('a Mongo URL without directConnection=true', () => {
    const compose = composeCopy();
    compose.services.order!.environment.MONGO_URL = 'mongodb://mongo:27017/';
    expect(check(compose)).toContainEqual(expect.stringMatching(/order\.environment\.MONGO_URL must carry directConnection=true/));
  });

  it('a Mongo URL pointing somewhere else', () => {
    const compose = composeCopy();
    compose.services.rfq!.environment.MONGO_URL = 'mongodb://localhost:27017/?directConnection=true';
    expect(check(compose)).toContainEqual(expect.stringMatching(/rfq\.environment\.MONGO_URL must point at mongo:27017/));
  });

  it('a service without KAFKA_BROKERS', () => {
    const compose = composeCopy();
    delete compose.services.user!.environment.KAFKA_BROKERS;
    expect(check(compose)).toContainEqual('services.user.environment.KAFKA_BROKERS missing');
  });

  it('a broker list naming an unknown host', () => {
    const compose = composeCopy();
    compose.services.user!.environment.KAFKA_BROKERS = 'kafka:9092,broker-2:9092';
    expect(check(compose)).toContainEqual(expect.stringMatching(/user\.environment\.KAFKA_BROKERS must point at kafka:9092, found broker-2:9092/));
  });

  it('a gateway upstream on the wrong port', () => {
    const compose = composeCopy();
    compose.services['gateway-2']!.environment.ORDER_SERVICE_URL = 'http://order:3007';
    expect(check(compose)).toContainEqual(expect.stringMatching(/gateway-2\.environment\.ORDER_SERVICE_URL uses port 3007, but order listens on 3006/));
  });

  it('a gateway upstream that is not a compose service', () => {
    const compose = composeCopy();
    compose.services['gateway-1']!.environment.CATALOG_SERVICE_URL = 'http://catalogue:3003';
    expect(check(compose)).toContainEqual(expect.stringMatching(/CATALOG_SERVICE_URL points at catalogue, which is not a compose service/));
  });

  it('two gateway replicas under one instance name', () => {
    const compose = composeCopy();
    compose.services['gateway-2']!.environment.GATEWAY_INSTANCE = 'gateway-1';
    expect(check(compose)).toContainEqual('gateway replicas share GATEWAY_INSTANCE gateway-1, gateway-1');
  });

  it('a gateway missing one service URL', () => {
    const compose = composeCopy();
    delete compose.services['gateway-1']!.environment.ADMIN_SERVICE_URL;
    expect(check(compose)).toContainEqual('services.gateway-1.environment.ADMIN_SERVICE_URL missing');
  });

  it('depends_on a service that does not exist', () => {
    const compose = composeCopy();
    compose.services.order!.depends_on.postgres = { condition: 'service_healthy' };
    expect(check(compose)).toContainEqual('services.order.depends_on: postgres is not a service');
  });

  it('depends_on a healthchecked service without waiting for health (short form)', () => {
    const compose = composeCopy();
    compose.services.order!.depends_on = ['mongo', 'kafka'];
    const errors = check(compose);
    expect(errors).toContainEqual(expect.stringMatching(/order\.depends_on\.mongo: has a healthcheck, so wait for condition service_healthy \(found service_started\)/));
    expect(errors).toContainEqual(expect.stringMatching(/order\.depends_on\.kafka: has a healthcheck/));
  });

  it('a gateway waiting only for a service to start (its health comes from the Dockerfile)', () => {
    const compose = composeCopy();
    compose.services['gateway-1']!.depends_on.auth = { condition: 'service_started' };
    expect(check(compose)).toContainEqual(expect.stringMatching(/gateway-1\.depends_on\.auth: has a healthcheck/));
  });

  it('catalog without Elasticsearch, and a service given infrastructure it does not use', () => {
    const compose = composeCopy();
    delete compose.services.catalog!.depends_on.elasticsearch;
    compose.services.rfq!.depends_on.redis = { condition: 'service_healthy' };
    const errors = check(compose);
    expect(errors).toContainEqual('services.catalog.depends_on must include elasticsearch');
    expect(errors).toContainEqual('services.rfq.depends_on.redis: rfq does not use redis');
  });

  it('a build pointing at a Dockerfile that does not exist, or at another context', () => {
    const compose = composeCopy();
    compose.services.admin!.build = { context: '.', dockerfile: 'services/admin/Dockerfile.prod' };
    compose.services.user!.build = { context: 'services/user', dockerfile: 'Dockerfile' };
    const errors = check(compose);
    expect(errors).toContainEqual('services.admin.build.dockerfile services/admin/Dockerfile.prod does not exist');
    expect(errors).toContainEqual('services.user.build.context must be the repository root (.), found services/user');
  });

  it('a service or gateway replica missing', () => {
    const compose = composeCopy();
    delete compose.services['gateway-2'];
    delete compose.services.notification;
    const errors = check(compose);
    expect(errors).toContainEqual('services.gateway-2 is missing');
    expect(errors).toContainEqual('services.notification is missing');
    expect(errors).toContainEqual('services.nginx.depends_on: gateway-2 is not a service');
  });

  it('a port that differs from the service port', () => {
    const compose = composeCopy();
    compose.services.compliance!.environment.PORT = '8080';
    expect(check(compose)).toContainEqual(expect.stringMatching(/compliance\.environment\.PORT must be 3005/));
  });

  it('infrastructure published on the host', () => {
    const compose = composeCopy();
    compose.services.mongo!.ports = ['27017:27017'];
    compose.services.auth!.ports = ['3001:3001'];
    const errors = check(compose);
    expect(errors).toContainEqual(expect.stringMatching(/services\.mongo\.ports: only nginx is published/));
    expect(errors).toContainEqual(expect.stringMatching(/services\.auth\.ports: only nginx is published/));
  });

  it('an nginx config that is not in the repository, or mounted writable', () => {
    const compose = composeCopy();
    compose.services.nginx!.volumes = ['./nginx/default.conf:/etc/nginx/nginx.conf'];
    const errors = check(compose);
    expect(errors).toContainEqual('services.nginx.volumes: nginx.conf must be mounted read-only (:ro)');
    expect(errors).toContainEqual('services.nginx.volumes: ./nginx/default.conf does not exist in the repository');
  });

  it('an undeclared named volume', () => {
    const compose = composeCopy();
    compose.services.redis!.volumes = ['redis-cache:/data'];
    expect(check(compose)).toContainEqual('services.redis.volumes: named volume redis-cache is not declared under top-level volumes');
  });

  it('a restart policy other than unless-stopped', () => {
    const compose = composeCopy();
    compose.services.kafka!.restart = 'always';
    expect(check(compose)).toContainEqual('services.kafka.restart: unless-stopped expected, found always');
  });

  it('Kafka that would auto-create topics, and images off the pinned versions', () => {
    const compose = composeCopy();
    compose.services.kafka!.environment.KAFKA_AUTO_CREATE_TOPICS_ENABLE = 'true';
    compose.services.kafka!.image = 'apache/kafka:3.9.0';
    compose.services.elasticsearch!.image = 'docker.elastic.co/elasticsearch/elasticsearch:8.18.0';
    compose.services.mongo!.image = 'mongo:latest';
    const errors = check(compose);
    expect(errors).toContainEqual(expect.stringMatching(/KAFKA_AUTO_CREATE_TOPICS_ENABLE is wrong/));
    expect(errors).toContainEqual('services.kafka.image apache/kafka:3.9.0 differs from infra\'s KAFKA_VERSION 3.9.1');
    expect(errors).toContainEqual(expect.stringMatching(/elasticsearch\.image must be the official Elasticsearch 8\.19\.x image/));
    expect(errors).toContainEqual(expect.stringMatching(/mongo\.image must be the official MongoDB 7 image/));
  });

  it('a healthcheck that does not probe the server', () => {
    const compose = composeCopy();
    compose.services.redis!.healthcheck.test = ['CMD', 'true'];
    expect(check(compose)).toContainEqual(expect.stringMatching(/services\.redis\.healthcheck\.test must probe/));
  });

  it('an obsolete top-level version', () => {
    const compose = composeCopy();
    (compose as Record<string, unknown>).version = '3.8';
    expect(check(compose)).toContainEqual('top-level `version` is obsolete in the Compose Specification');
  });
});

describe('parsers used by the checks', () => {
  it('reads defaultPort and the infrastructure an app registers', () => {
    expect(parseDefaultPort("export const service = { name: 'x', defaultPort: 3003 };")).toBe(3003);
    expect(parseDefaultPort('no port here')).toBeNull();
    expect(parseInfraUse('register(serviceKit, { kafka, redis: true, elasticsearch: true })')).toEqual({ redis: true, elasticsearch: true });
    expect(parseInfraUse('register(serviceKit, { kafka }) // redis: true later')).toEqual({ redis: false, elasticsearch: false });
  });

  it('reads nginx upstream servers, ignoring comments', () => {
    const conf = 'upstream gw {\n  server gateway-1:8080 max_fails=3;\n  # server old:80;\n  server gateway-2:8080;\n}\nserver { listen 80; }';
    expect(nginxUpstreamServers(conf)).toEqual(['gateway-1:8080', 'gateway-2:8080']);
  });
});
