/**
 * docker-compose.yml checks: the Compose Specification JSON Schema (the copy the dclint package
 * ships), then the cross-references a schema cannot see — builds, Dockerfiles, depends_on,
 * environment, ports, mounts and volumes against the repository.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, posix } from 'node:path';
import type { ErrorObject } from 'ajv';
import { parse } from 'yaml';
import { dockerfileHasHealthcheck } from './dockerfile.js';
import { GATEWAY_REPLICAS, repoRoot, type AppInfo } from './platform.js';

const require = createRequire(import.meta.url);
// ajv is CommonJS; require() gives its class the same way under every loader.
const Ajv = (require('ajv') as { default: typeof import('ajv').default }).default;

/* ---------------------------------------------------------------- model */

export type ComposeFile = Record<string, unknown> & {
  services?: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
};

export interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  ports?: unknown[];
  volumes?: (string | { type?: string; source?: string; target?: string; read_only?: boolean })[];
  restart?: string;
  [key: string]: unknown;
}

/** Parses YAML the way Compose does: anchors, aliases and `<<` merge keys resolved. */
export function parseCompose(text: string): ComposeFile {
  const document: unknown = parse(text, { merge: true, maxAliasCount: 1000 });
  if (!document || typeof document !== 'object' || Array.isArray(document)) throw new Error('compose file is not a mapping');
  return document as ComposeFile;
}

export function loadCompose(root = repoRoot): ComposeFile {
  return parseCompose(readFileSync(join(root, 'docker-compose.yml'), 'utf8'));
}

/* ---------------------------------------------------------------- schema */

export interface ComposeSchemaSource {
  packageName: string;
  version: string;
  path: string;
  schema: Record<string, unknown>;
}

/** The Compose Specification JSON Schema as shipped in the dclint package (`schemas/compose.schema.json`). */
export function composeSchemaSource(): ComposeSchemaSource {
  // dclint's `exports` hide the schemas folder from import; its package.json is exported.
  const manifestPath = require.resolve('dclint/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { name: string; version: string };
  const path = join(dirname(manifestPath), 'schemas', 'compose.schema.json');
  const schema = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  return { packageName: manifest.name, version: manifest.version, path, schema };
}

export type ComposeValidator = (compose: unknown) => string[];

let cachedValidator: ComposeValidator | undefined;

/** Ajv (draft-07, strict, all errors) compiled from the Compose Specification schema. */
export function composeSchemaValidator(): ComposeValidator {
  if (cachedValidator) return cachedValidator;
  const { schema } = composeSchemaSource();
  const draft = String(schema.$schema ?? '');
  if (!draft.includes('draft-07')) throw new Error(`compose schema uses ${draft}; this validator is set up for draft-07`);
  // The schema names its meta-schema by the https address, which ajv registers under http://…#:
  // the dialect is checked above, so compile it without the pointer.
  const { $schema: _dialect, ...body } = schema;
  // Strict about unknown keywords; the schema's style of `additionalProperties` without a sibling
  // `type` is valid JSON Schema, so ajv's stricter type lint is off.
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, allowUnionTypes: true });
  const validate = ajv.compile(body);
  cachedValidator = (compose) => (validate(compose) ? [] : formatErrors(validate.errors ?? []));
  return cachedValidator;
}

function formatErrors(errors: ErrorObject[]): string[] {
  return errors.map((error) => {
    const where = error.instancePath || '/';
    const extra =
      error.keyword === 'additionalProperties'
        ? ` (${String((error.params as { additionalProperty?: string }).additionalProperty)})`
        : error.keyword === 'enum'
          ? ` (${JSON.stringify((error.params as { allowedValues?: unknown }).allowedValues)})`
          : '';
    return `${where}: ${error.message ?? error.keyword}${extra}`;
  });
}

/* ---------------------------------------------------------------- helpers */

export function environmentOf(service: ComposeService): Record<string, string> {
  const env = service.environment;
  if (!env) return {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const at = entry.indexOf('=');
        return at === -1 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, value === null ? '' : String(value)]));
}

/** depends_on as target → condition (the short list form means `service_started`). */
export function dependsOnOf(service: ComposeService): Map<string, string> {
  const deps = service.depends_on;
  if (!deps) return new Map();
  if (Array.isArray(deps)) return new Map(deps.map((name) => [name, 'service_started']));
  return new Map(Object.entries(deps).map(([name, dep]) => [name, dep?.condition ?? 'service_started']));
}

function buildOf(service: ComposeService): { context: string; dockerfile: string } | null {
  if (!service.build) return null;
  if (typeof service.build === 'string') return { context: service.build, dockerfile: 'Dockerfile' };
  return { context: service.build.context ?? '.', dockerfile: service.build.dockerfile ?? 'Dockerfile' };
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

/** `host:port` of a URL or of a bare `host:port`. */
function hostPort(value: string, defaultPort?: number): { host: string; port: number } | null {
  try {
    const url = new URL(value.includes('://') ? value : `tcp://${value}`);
    const port = url.port ? Number(url.port) : defaultPort;
    return port === undefined ? null : { host: url.hostname, port };
  } catch {
    return null;
  }
}

/** Names referenced as `${NAME}` / `${NAME:-default}` are left as they are: values are checked literally. */
function resolveDefaults(value: string): string {
  return value.replace(/\$\{[A-Z0-9_]+:?-([^}]*)\}/g, '$1');
}

/* ---------------------------------------------------------------- cross-references */

export interface InfraPorts {
  kafka: number;
  redis: number;
  elasticsearch: number;
}

export const INFRA: { [K in keyof InfraPorts]: { service: string; port: number } } = {
  kafka: { service: 'kafka', port: 9092 },
  redis: { service: 'redis', port: 6379 },
  elasticsearch: { service: 'elasticsearch', port: 9200 },
};

/**
 * MongoDB in compose: a three-member replica set (production's shape) that a one-shot service
 * initiates; the services wait for that one to finish and name the set in their URL.
 */
export const MONGO = {
  replicaSet: 'rs0',
  members: ['mongo-1', 'mongo-2', 'mongo-3'],
  init: 'mongo-init',
  port: 27017,
} as const;

/** Services that run once and exit (restart "no"); every other one is unless-stopped. */
export const ONE_SHOT_SERVICES: readonly string[] = [MONGO.init];

/** Hosts and options of a `mongodb://h1:p1,h2:p2/db?opts` URL (WHATWG URL cannot parse several hosts). */
export function parseMongoUrl(value: string): { hosts: string[]; options: URLSearchParams } | null {
  const match = /^mongodb:\/\/(?:[^@/]*@)?([^/?]+)\/?[^?]*(?:\?(.*))?$/.exec(value);
  if (!match) return null;
  return { hosts: match[1]!.split(','), options: new URLSearchParams(match[2] ?? '') };
}

/** Every rule of the replica set: its members, the initiating one-shot service, the URLs that name it. */
export function checkMongoReplicaSet(compose: ComposeFile, { apps }: { apps: AppInfo[] }): string[] {
  const errors: string[] = [];
  const services = compose.services ?? {};
  const expectedHosts = MONGO.members.map((member) => `${member}:${MONGO.port}`);
  for (const member of MONGO.members) {
    const service = services[member];
    if (!service) continue;
    const command = Array.isArray(service.command) ? service.command.map(String) : String(service.command ?? '').split(/\s+/);
    const replSet = command.indexOf('--replSet');
    if (replSet === -1 || command[replSet + 1] !== MONGO.replicaSet) {
      errors.push(`services.${member}.command must start mongod with --replSet ${MONGO.replicaSet}, found ${JSON.stringify(service.command ?? null)}`);
    }
    if (!command.includes('--bind_ip_all')) errors.push(`services.${member}.command must listen beyond loopback (--bind_ip_all)`);
  }
  const init = services[MONGO.init];
  if (init) {
    const script = Array.isArray(init.command) ? init.command.join(' ') : String(init.command ?? '');
    if (!/rs\.initiate\(/.test(script)) errors.push(`services.${MONGO.init}.command must run rs.initiate`);
    if (!script.includes(`'${MONGO.replicaSet}'`)) errors.push(`services.${MONGO.init}.command must initiate the set ${MONGO.replicaSet}`);
    for (const host of expectedHosts) if (!script.includes(host)) errors.push(`services.${MONGO.init}.command must add member ${host}`);
    const deps = dependsOnOf(init);
    for (const member of MONGO.members) {
      if (deps.get(member) !== 'service_healthy') errors.push(`services.${MONGO.init}.depends_on.${member}: wait for condition service_healthy`);
    }
  }
  for (const app of apps.filter((candidate) => candidate.kind === 'service')) {
    const service = services[app.name];
    if (!service) continue;
    const where = `services.${app.name}`;
    if (dependsOnOf(service).get(MONGO.init) !== 'service_completed_successfully') {
      errors.push(`${where}.depends_on.${MONGO.init}: wait for condition service_completed_successfully (the replica set has a primary)`);
    }
    const url = environmentOf(service).MONGO_URL;
    if (!url) continue;
    const parsed = parseMongoUrl(url);
    if (!parsed) {
      errors.push(`${where}.environment.MONGO_URL is not a mongodb:// URL: ${url}`);
      continue;
    }
    if ([...parsed.hosts].sort().join(',') !== [...expectedHosts].sort().join(',')) {
      errors.push(`${where}.environment.MONGO_URL must list the replica set members ${expectedHosts.join(',')}, found ${parsed.hosts.join(',')}`);
    }
    if (parsed.options.get('replicaSet') !== MONGO.replicaSet) {
      errors.push(`${where}.environment.MONGO_URL must name replicaSet=${MONGO.replicaSet}, found ${url}`);
    }
    if (parsed.options.get('directConnection') === 'true') {
      errors.push(`${where}.environment.MONGO_URL: directConnection=true pins the driver to one member of the replica set`);
    }
  }
  return errors;
}

export interface ReferenceContext {
  root: string;
  apps: AppInfo[];
}

/** The compose service(s) running an app: the service name, or both gateway replicas. */
export function composeNamesOf(app: AppInfo): string[] {
  return app.kind === 'gateway' ? [...GATEWAY_REPLICAS] : [app.name];
}

/** Whether a compose service has a health check, from compose or from its Dockerfile. */
export function hasHealthcheck(service: ComposeService, root: string): boolean {
  if (service.healthcheck) return service.healthcheck.disable !== true && !!service.healthcheck.test;
  const build = buildOf(service);
  if (!build) return false;
  const path = join(root, build.context, build.dockerfile);
  return isFile(path) && dockerfileHasHealthcheck(readFileSync(path, 'utf8'));
}

/** The port a compose service listens on inside the network, when we know it. */
function listeningPort(name: string, compose: ComposeFile, apps: AppInfo[]): number | null {
  const infra = Object.values(INFRA).find((entry) => entry.service === name);
  if (infra) return infra.port;
  if ((MONGO.members as readonly string[]).includes(name)) return MONGO.port;
  const app = apps.find((candidate) => composeNamesOf(candidate).includes(name));
  if (!app) return null;
  const port = environmentOf(compose.services?.[name] ?? {}).PORT;
  return port ? Number(port) : app.port;
}

/** Every rule a schema cannot express. Returns one message per broken rule. */
export function checkComposeReferences(compose: ComposeFile, { root, apps }: ReferenceContext): string[] {
  const errors: string[] = [];
  const services = compose.services ?? {};
  const names = new Set(Object.keys(services));

  if ('version' in compose) errors.push('top-level `version` is obsolete in the Compose Specification');

  // Every service the platform needs is there.
  for (const required of [...apps.flatMap(composeNamesOf), ...Object.values(INFRA).map((i) => i.service), ...MONGO.members, MONGO.init, 'prometheus', 'nginx']) {
    if (!names.has(required)) errors.push(`services.${required} is missing`);
  }

  // depends_on: targets exist, and wait for health where the target reports it.
  for (const [name, service] of Object.entries(services)) {
    for (const [target, condition] of dependsOnOf(service)) {
      const targetService = services[target];
      if (!targetService) {
        errors.push(`services.${name}.depends_on: ${target} is not a service`);
        continue;
      }
      if (target === name) errors.push(`services.${name}.depends_on: depends on itself`);
      if (hasHealthcheck(targetService, root) && condition !== 'service_healthy') {
        errors.push(`services.${name}.depends_on.${target}: has a healthcheck, so wait for condition service_healthy (found ${condition})`);
      }
    }
    // A one-shot service that restarted would never report completion to those waiting for it.
    const expectedRestart = ONE_SHOT_SERVICES.includes(name) ? 'no' : 'unless-stopped';
    if (service.restart !== undefined && service.restart !== expectedRestart) {
      errors.push(`services.${name}.restart: ${expectedRestart} expected, found ${service.restart}`);
    }
    if (service.restart === undefined) errors.push(`services.${name}.restart: missing (${expectedRestart} expected)`);
  }

  // Each app: built from its own Dockerfile with the repository root as context.
  for (const app of apps) {
    for (const name of composeNamesOf(app)) {
      const service = services[name];
      if (!service) continue;
      const where = `services.${name}`;
      const build = buildOf(service);
      const expectedDockerfile = `${app.dir}/Dockerfile`;
      if (!build) errors.push(`${where}.build missing: built from ${expectedDockerfile}`);
      else {
        if (posix.normalize(build.context) !== '.') errors.push(`${where}.build.context must be the repository root (.), found ${build.context}`);
        if (posix.normalize(build.dockerfile) !== expectedDockerfile) {
          errors.push(`${where}.build.dockerfile must be ${expectedDockerfile}, found ${build.dockerfile}`);
        }
        if (!isFile(join(root, build.context, build.dockerfile))) errors.push(`${where}.build.dockerfile ${build.dockerfile} does not exist`);
      }

      const env = environmentOf(service);
      if (env.PORT !== String(app.port)) errors.push(`${where}.environment.PORT must be ${app.port} (the service port), found ${env.PORT ?? 'none'}`);
      if (app.defaultPort !== null && app.defaultPort !== app.port) {
        errors.push(`${app.dir}/src/app.ts defaultPort ${app.defaultPort} differs from the design's ${app.port}`);
      }
      if (env.HOST !== '0.0.0.0') errors.push(`${where}.environment.HOST must be 0.0.0.0 in a container, found ${env.HOST ?? 'none'}`);
      if (env.NODE_ENV !== 'production') errors.push(`${where}.environment.NODE_ENV must be production, found ${env.NODE_ENV ?? 'none'}`);
      if (service.ports !== undefined) errors.push(`${where}.ports: only nginx is published on the host`);

      const deps = dependsOnOf(service);
      const needs = (infra: keyof InfraPorts, variable: string, scheme: string | null) => {
        const { service: target, port } = INFRA[infra];
        if (!deps.has(target)) errors.push(`${where}.depends_on must include ${target}`);
        const value = env[variable];
        if (!value) {
          errors.push(`${where}.environment.${variable} missing`);
          return;
        }
        const endpoints = infra === 'kafka' ? value.split(',').map((broker) => broker.trim()) : [value];
        for (const endpoint of endpoints) {
          if (scheme && !endpoint.startsWith(`${scheme}://`)) errors.push(`${where}.environment.${variable} must be a ${scheme}:// URL, found ${endpoint}`);
          const at = hostPort(endpoint, port);
          if (!at || at.host !== target || at.port !== port) {
            errors.push(`${where}.environment.${variable} must point at ${target}:${port}, found ${endpoint}`);
          }
        }
      };
      const forbids = (infra: keyof InfraPorts, variable: string) => {
        const { service: target } = INFRA[infra];
        if (deps.has(target)) errors.push(`${where}.depends_on.${target}: ${app.name} does not use ${target}`);
        if (env[variable] !== undefined) errors.push(`${where}.environment.${variable}: ${app.name} does not use ${target}`);
      };

      if (app.kind === 'service') {
        // MongoDB: the replica set's members and URL are checked by checkMongoReplicaSet.
        if (!env.MONGO_URL) errors.push(`${where}.environment.MONGO_URL missing`);
        if (env.MONGO_DB !== undefined && !/^[a-zA-Z0-9_-]{1,63}$/.test(env.MONGO_DB)) {
          errors.push(`${where}.environment.MONGO_DB is not a portable database name: ${env.MONGO_DB}`);
        }
        needs('kafka', 'KAFKA_BROKERS', null);
        if (app.uses.redis) needs('redis', 'REDIS_URL', 'redis');
        else forbids('redis', 'REDIS_URL');
        if (app.uses.elasticsearch) needs('elasticsearch', 'ELASTICSEARCH_URL', 'http');
        else forbids('elasticsearch', 'ELASTICSEARCH_URL');
        for (const other of apps) {
          if (other !== app && deps.has(other.name)) errors.push(`${where}.depends_on.${other.name}: services start independently (HTTP calls go through breakers)`);
        }
      } else {
        needs('redis', 'REDIS_URL', 'redis');
        // Every service behind the gateway: its URL points at the compose service on its port,
        // and the gateway starts once that service is healthy.
        for (const upstream of apps.filter((candidate) => candidate.kind === 'service')) {
          const variable = `${upstream.name.toUpperCase()}_SERVICE_URL`;
          const value = env[variable];
          if (!value) {
            errors.push(`${where}.environment.${variable} missing`);
          } else {
            const at = hostPort(resolveDefaults(value));
            if (!at || !value.startsWith('http://')) errors.push(`${where}.environment.${variable} must be an http:// URL with a port, found ${value}`);
            else if (!names.has(at.host)) errors.push(`${where}.environment.${variable} points at ${at.host}, which is not a compose service`);
            else if (at.port !== listeningPort(at.host, compose, apps)) {
              errors.push(`${where}.environment.${variable} uses port ${at.port}, but ${at.host} listens on ${listeningPort(at.host, compose, apps)}`);
            } else if (at.host !== upstream.name) errors.push(`${where}.environment.${variable} points at ${at.host}, not ${upstream.name}`);
          }
          if (!deps.has(upstream.name)) errors.push(`${where}.depends_on must include ${upstream.name}`);
        }
      }
    }
  }

  errors.push(...checkMongoReplicaSet(compose, { apps }));

  // Replicas tell themselves apart (x-gateway-instance) only with distinct instance names.
  const instances = GATEWAY_REPLICAS.map((name) => environmentOf(services[name] ?? {}).GATEWAY_INSTANCE).filter(Boolean);
  if (new Set(instances).size !== instances.length) errors.push(`gateway replicas share GATEWAY_INSTANCE ${instances.join(', ')}`);

  // nginx: the repository's config mounted read-only, in front of both gateway replicas.
  const nginx = services.nginx;
  if (nginx) {
    const mounts = (nginx.volumes ?? []).map(parseMount);
    const conf = mounts.find((mount) => mount.target === '/etc/nginx/nginx.conf');
    if (!conf) errors.push('services.nginx.volumes must mount the repository nginx.conf at /etc/nginx/nginx.conf');
    else {
      if (!conf.readOnly) errors.push('services.nginx.volumes: nginx.conf must be mounted read-only (:ro)');
      if (!conf.source.startsWith('.')) errors.push(`services.nginx.volumes: nginx.conf must come from the repository, found ${conf.source}`);
      else if (!isFile(join(root, conf.source))) errors.push(`services.nginx.volumes: ${conf.source} does not exist in the repository`);
      else {
        for (const upstream of nginxUpstreamServers(readFileSync(join(root, conf.source), 'utf8'))) {
          const at = hostPort(upstream);
          if (!at || !names.has(at.host)) errors.push(`nginx.conf upstream server ${upstream} is not a compose service`);
          else if (at.port !== listeningPort(at.host, compose, apps)) errors.push(`nginx.conf upstream server ${upstream}: ${at.host} listens on ${listeningPort(at.host, compose, apps)}`);
        }
      }
    }
    const deps = dependsOnOf(nginx);
    for (const replica of GATEWAY_REPLICAS) if (!deps.has(replica)) errors.push(`services.nginx.depends_on must include ${replica}`);
    if (!(nginx.ports ?? []).some((port) => publishedPort(port) === 80)) errors.push('services.nginx.ports must publish port 80');
  }

  // Only nginx on the host.
  for (const [name, service] of Object.entries(services)) {
    if (name !== 'nginx' && service.ports !== undefined && !apps.some((app) => composeNamesOf(app).includes(name))) {
      errors.push(`services.${name}.ports: only nginx is published on the host (keep infrastructure ports commented)`);
    }
  }

  // Named volumes are declared at the top level.
  const declared = new Set(Object.keys(compose.volumes ?? {}));
  for (const [name, service] of Object.entries(services)) {
    for (const mount of (service.volumes ?? []).map(parseMount)) {
      if (mount.type === 'volume' && mount.source && !declared.has(mount.source)) {
        errors.push(`services.${name}.volumes: named volume ${mount.source} is not declared under top-level volumes`);
      }
      if (mount.type === 'bind' && mount.source.startsWith('.') && !existsSync(join(root, mount.source))) {
        errors.push(`services.${name}.volumes: ${mount.source} does not exist in the repository`);
      }
    }
  }

  return [...new Set(errors)];
}

interface Mount {
  type: 'volume' | 'bind' | 'other';
  source: string;
  target: string;
  readOnly: boolean;
}

function parseMount(entry: string | { type?: string; source?: string; target?: string; read_only?: boolean }): Mount {
  if (typeof entry === 'string') {
    const [source = '', target = '', mode = ''] = entry.split(':');
    const isPath = source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
    return {
      type: !target ? 'other' : isPath ? 'bind' : 'volume',
      source,
      target: target || source,
      readOnly: mode.split(',').includes('ro'),
    };
  }
  const type = entry.type === 'bind' ? 'bind' : entry.type === 'volume' ? 'volume' : 'other';
  return { type, source: entry.source ?? '', target: entry.target ?? '', readOnly: entry.read_only === true };
}

function publishedPort(port: unknown): number | null {
  if (typeof port === 'number') return port;
  if (typeof port === 'string') {
    const parts = port.replace(/\/(tcp|udp)$/, '').split(':');
    return parts.length >= 2 ? Number(parts.at(-2)) : Number(parts[0]);
  }
  if (port && typeof port === 'object' && 'published' in port) return Number((port as { published: unknown }).published);
  return null;
}

/** `server host:port …;` lines inside nginx `upstream { }` blocks. */
export function nginxUpstreamServers(conf: string): string[] {
  const servers: string[] = [];
  const text = conf.replace(/#.*$/gm, '');
  for (const block of text.matchAll(/\bupstream\s+[\w.-]+\s*\{([^}]*)\}/g)) {
    for (const line of block[1]!.matchAll(/\bserver\s+([^\s;]+)/g)) servers.push(line[1]!);
  }
  return servers;
}

/* ---------------------------------------------------------------- infrastructure */

/** The repository's Prometheus configuration and rules, and where the image reads them. */
export const PROMETHEUS_MOUNTS: readonly (readonly [source: string, target: string])[] = [
  ['./infra/prometheus/prometheus.compose.yml', '/etc/prometheus/prometheus.yml'],
  ['./infra/prometheus/alerts.yml', '/etc/prometheus/alerts.yml'],
];

/** Images and settings of the shared servers: the official images, versions in step with infra/. */
export function checkInfrastructure(compose: ComposeFile, { root }: { root: string }): string[] {
  const errors: string[] = [];
  const services = compose.services ?? {};
  const versions = existsSync(join(root, 'infra/src/versions.ts')) ? readFileSync(join(root, 'infra/src/versions.ts'), 'utf8') : '';
  const pinned = (name: string) => new RegExp(`export const ${name}\\s*=\\s*['"]([^'"]+)['"]`).exec(versions)?.[1];

  const image = (name: string) => services[name]?.image ?? '';
  for (const name of [...MONGO.members, MONGO.init]) {
    if (!/^mongo:7(\.\d+){0,2}$/.test(image(name))) errors.push(`services.${name}.image must be the official MongoDB 7 image (mongo:7), found ${image(name)}`);
  }
  // Prometheus: the official image, pinned, with the repository's configuration and rules (read-only).
  if (!/^prom\/prometheus:v[23]\.\d+\.\d+$/.test(image('prometheus'))) {
    errors.push(`services.prometheus.image must be a pinned official Prometheus image (prom/prometheus:vX.Y.Z), found ${image('prometheus')}`);
  }
  const prometheusMounts = (services.prometheus?.volumes ?? []).map(parseMount);
  for (const [source, target] of PROMETHEUS_MOUNTS) {
    const mount = prometheusMounts.find((candidate) => candidate.target === target);
    if (!mount || posix.normalize(mount.source) !== posix.normalize(source)) {
      errors.push(`services.prometheus.volumes must mount ${source} at ${target}, found ${mount?.source ?? 'nothing'}`);
    } else if (!mount.readOnly) errors.push(`services.prometheus.volumes: ${source} must be mounted read-only (:ro)`);
  }
  const prometheusCommand = (Array.isArray(services.prometheus?.command) ? services.prometheus.command : []).map(String);
  if (!prometheusCommand.includes(`--config.file=${PROMETHEUS_MOUNTS[0]![1]}`)) {
    errors.push(`services.prometheus.command must pass --config.file=${PROMETHEUS_MOUNTS[0]![1]}`);
  }
  if (!/^redis:7(\.\d+){0,2}(-alpine)?$/.test(image('redis'))) errors.push(`services.redis.image must be redis:7 (alpine), found ${image('redis')}`);
  if (!/^nginx:1\.\d+(\.\d+)?(-alpine)?$/.test(image('nginx'))) errors.push(`services.nginx.image must be a pinned official nginx image, found ${image('nginx')}`);

  const kafkaVersion = pinned('KAFKA_VERSION');
  const kafkaImage = image('kafka');
  if (!/^apache\/kafka:3\.9\.\d+$/.test(kafkaImage)) errors.push(`services.kafka.image must be apache/kafka:3.9.x, found ${kafkaImage}`);
  else if (kafkaVersion && kafkaImage !== `apache/kafka:${kafkaVersion}`) {
    errors.push(`services.kafka.image ${kafkaImage} differs from infra's KAFKA_VERSION ${kafkaVersion}`);
  }
  const esVersion = pinned('ELASTICSEARCH_VERSION');
  const esImage = image('elasticsearch');
  if (!/^docker\.elastic\.co\/elasticsearch\/elasticsearch:8\.19\.\d+$/.test(esImage)) {
    errors.push(`services.elasticsearch.image must be the official Elasticsearch 8.19.x image, found ${esImage}`);
  } else if (esVersion && !esImage.endsWith(`:${esVersion}`)) {
    errors.push(`services.elasticsearch.image ${esImage} differs from infra's ELASTICSEARCH_VERSION ${esVersion}`);
  }

  const kafka = environmentOf(services.kafka ?? {});
  const expectKafka: Record<string, (value: string | undefined) => boolean> = {
    KAFKA_NODE_ID: (v) => !!v && /^\d+$/.test(v),
    KAFKA_PROCESS_ROLES: (v) => !!v && v.split(',').map((r) => r.trim()).sort().join(',') === 'broker,controller',
    KAFKA_LISTENERS: (v) => !!v && /CONTROLLER:\/\//.test(v) && /:9092\b/.test(v),
    KAFKA_ADVERTISED_LISTENERS: (v) => !!v && v.split(',').some((l) => /\/\/kafka:9092$/.test(l.trim())),
    KAFKA_CONTROLLER_LISTENER_NAMES: (v) => v === 'CONTROLLER',
    KAFKA_CONTROLLER_QUORUM_VOTERS: (v) => !!v && new RegExp(`^${kafka.KAFKA_NODE_ID ?? '\\d+'}@kafka:\\d+$`).test(v),
    KAFKA_AUTO_CREATE_TOPICS_ENABLE: (v) => v === 'false',
    KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: (v) => v === '0',
    KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: (v) => v === '1',
    KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: (v) => v === '1',
    KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: (v) => v === '1',
    CLUSTER_ID: (v) => !!v && /^[A-Za-z0-9_-]{22}$/.test(v),
  };
  for (const [key, ok] of Object.entries(expectKafka)) {
    if (!ok(kafka[key])) errors.push(`services.kafka.environment.${key} is wrong for a single KRaft node: ${kafka[key] ?? 'missing'}`);
  }

  const es = environmentOf(services.elasticsearch ?? {});
  if (es['discovery.type'] !== 'single-node') errors.push('services.elasticsearch.environment discovery.type must be single-node');
  if (es['xpack.security.enabled'] !== 'false') errors.push('services.elasticsearch.environment xpack.security.enabled must be false');
  if (!/-Xms512m/.test(es.ES_JAVA_OPTS ?? '') || !/-Xmx512m/.test(es.ES_JAVA_OPTS ?? '')) errors.push('services.elasticsearch.environment ES_JAVA_OPTS must set a 512m heap');

  const probes: Record<string, RegExp> = {
    ...Object.fromEntries(MONGO.members.map((member) => [member, /mongosh/])),
    prometheus: /\/-\/(ready|healthy)/,
    kafka: /kafka-(topics|broker-api-versions)\.sh/,
    elasticsearch: /_cluster\/health/,
    redis: /redis-cli.*ping/,
  };
  for (const [name, probe] of Object.entries(probes)) {
    const test = services[name]?.healthcheck?.test;
    const command = Array.isArray(test) ? test.join(' ') : (test ?? '');
    if (!probe.test(command)) errors.push(`services.${name}.healthcheck.test must probe with ${probe.source}, found "${command}"`);
  }
  return errors;
}
