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
  parseMongoUrl,
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

  it("uses each service's defaultPort from its src/app.ts, as the platform's catalogue gives it", () => {
    for (const name of SERVICE_NAMES) {
      const source = readText(`services/${name}/src/app.ts`);
      expect(source, `services/${name}/src/app.ts`).not.toBeNull();
      expect(parseDefaultPort(source!), name).toBe(DESIGN_PORTS[name]);
      expect(loadCompose().services?.[name]?.environment, name).toMatchObject({ PORT: String(DESIGN_PORTS[name]) });
    }
    expect(DESIGN_PORTS.gateway).toBe(8080);
    // Start-up reads the same catalogue (packages/contracts/src/platform.ts) rather than a list of its own.
    const platform = readText('scripts/platform.ts');
    if (platform) expect(platform).toMatch(/packages\/contracts\/src\/platform/);
  });

  it('gives the infrastructure only to the services whose app.ts registers it', () => {
    const compose = loadCompose();
    for (const app of listApps().filter((a) => a.kind === 'service')) {
      const deps = Object.keys(compose.services?.[app.name]?.depends_on ?? {});
      expect(deps.includes('redis'), `${app.name} redis`).toBe(app.uses.redis);
      expect(deps.includes('elasticsearch'), `${app.name} elasticsearch`).toBe(app.uses.elasticsearch);
      expect(deps, app.name).toEqual(expect.arrayContaining(['mongo-init', 'kafka']));
    }
  });
});

describe('reference checks catch broken files', () => {
  it('accept the committed file in a complete repository (baseline for the mutations)', () => {
    expect(check(composeCopy())).toEqual([]);
  });

  it('a Mongo URL that pins one member (directConnection=true) or names no replica set', () => {
    const compose = composeCopy();
    compose.services.order!.environment.MONGO_URL = 'mongodb://mongo-1:27017,mongo-2:27017,mongo-3:27017/?directConnection=true';
    const errors = check(compose);
    expect(errors).toContainEqual(expect.stringMatching(/order\.environment\.MONGO_URL: directConnection=true pins the driver to one member/));
    expect(errors).toContainEqual(expect.stringMatching(/order\.environment\.MONGO_URL must name replicaSet=rs0/));
  });

  it('a Mongo URL pointing somewhere else, or at only some members', () => {
    const compose = composeCopy();
    compose.services.rfq!.environment.MONGO_URL = 'mongodb://localhost:27017/?replicaSet=rs0';
    compose.services.user!.environment.MONGO_URL = 'mongodb://mongo-1:27017,mongo-2:27017/?replicaSet=rs0';
    const errors = check(compose);
    expect(errors).toContainEqual(expect.stringMatching(/rfq\.environment\.MONGO_URL must list the replica set members mongo-1:27017,mongo-2:27017,mongo-3:27017, found localhost:27017/));
    expect(errors).toContainEqual(expect.stringMatching(/user\.environment\.MONGO_URL must list the replica set members/));
  });

  it('a replica set member started without --replSet, or a member missing', () => {
    const compose = composeCopy();
    compose.services['mongo-2']!.command = ['mongod', '--bind_ip_all'];
    delete compose.services['mongo-3'];
    const errors = check(compose);
    expect(errors).toContainEqual(expect.stringMatching(/services\.mongo-2\.command must start mongod with --replSet rs0/));
    expect(errors).toContainEqual('services.mongo-3 is missing');
    expect(errors).toContainEqual('services.mongo-init.depends_on: mongo-3 is not a service');
  });

  it('an init service that does not initiate the set with every member, or restarts', () => {
    const compose = composeCopy();
    compose.services['mongo-init']!.command = ['mongosh', '--host', 'mongo-1:27017', '--eval', "rs.initiate({ _id: 'rs0', members: [{ _id: 0, host: 'mongo-1:27017' }] })"];
    compose.services['mongo-init']!.restart = 'unless-stopped';
    const errors = check(compose);
    expect(errors).toContainEqual('services.mongo-init.command must add member mongo-2:27017');
    expect(errors).toContainEqual('services.mongo-init.command must add member mongo-3:27017');
    expect(errors).toContainEqual('services.mongo-init.restart: no expected, found unless-stopped');
  });

  it('a service that does not wait for the replica set to be initiated', () => {
    const compose = composeCopy();
    compose.services.compliance!.depends_on['mongo-init'] = { condition: 'service_started' };
    expect(check(compose)).toContainEqual(expect.stringMatching(/compliance\.depends_on\.mongo-init: wait for condition service_completed_successfully/));
  });

  it('Prometheus without the repository configuration and rules, writable, or unpinned', () => {
    const compose = composeCopy();
    compose.services.prometheus!.volumes = ['./infra/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro', './infra/prometheus/alerts.yml:/etc/prometheus/alerts.yml'];
    compose.services.prometheus!.image = 'prom/prometheus:latest';
    const errors = check(compose);
    expect(errors).toContainEqual(expect.stringMatching(/prometheus\.volumes must mount \.\/infra\/prometheus\/prometheus\.compose\.yml at \/etc\/prometheus\/prometheus\.yml/));
    expect(errors).toContainEqual('services.prometheus.volumes: ./infra/prometheus/alerts.yml must be mounted read-only (:ro)');
    expect(errors).toContainEqual(expect.stringMatching(/prometheus\.image must be a pinned official Prometheus image/));
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
    compose.services.order!.depends_on = ['mongo-init', 'kafka'];
    const errors = check(compose);
    expect(errors).toContainEqual(expect.stringMatching(/order\.depends_on\.mongo-init: wait for condition service_completed_successfully/));
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
    compose.services['mongo-1']!.ports = ['27017:27017'];
    compose.services.auth!.ports = ['3001:3001'];
    const errors = check(compose);
    expect(errors).toContainEqual(expect.stringMatching(/services\.mongo-1\.ports: only nginx is published/));
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
    compose.services['mongo-2']!.image = 'mongo:latest';
    const errors = check(compose);
    expect(errors).toContainEqual(expect.stringMatching(/KAFKA_AUTO_CREATE_TOPICS_ENABLE is wrong/));
    expect(errors).toContainEqual('services.kafka.image apache/kafka:3.9.0 differs from infra\'s KAFKA_VERSION 3.9.1');
    expect(errors).toContainEqual(expect.stringMatching(/elasticsearch\.image must be the official Elasticsearch 8\.19\.x image/));
    expect(errors).toContainEqual(expect.stringMatching(/mongo-2\.image must be the official MongoDB 7 image/));
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

  it('reads the hosts and options of a replica set URL', () => {
    const parsed = parseMongoUrl('mongodb://user:pw@mongo-1:27017,mongo-2:27017/app?replicaSet=rs0&w=majority');
    expect(parsed?.hosts).toEqual(['mongo-1:27017', 'mongo-2:27017']);
    expect(parsed?.options.get('replicaSet')).toBe('rs0');
    expect(parseMongoUrl('http://mongo-1:27017')).toBeNull();
  });

  it('reads nginx upstream servers, ignoring comments', () => {
    const conf = 'upstream gw {\n  server gateway-1:8080 max_fails=3;\n  # server old:80;\n  server gateway-2:8080;\n}\nserver { listen 80; }';
    expect(nginxUpstreamServers(conf)).toEqual(['gateway-1:8080', 'gateway-2:8080']);
  });
});
