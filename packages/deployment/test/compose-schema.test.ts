import { describe, expect, it } from 'vitest';
import { composeSchemaSource, composeSchemaValidator, loadCompose, parseCompose } from '../src/index.js';

const validate = composeSchemaValidator();

/** A minimal valid file to break one piece at a time. */
const minimal = () => ({
  name: 'demo',
  services: {
    web: {
      image: 'nginx:1.27-alpine',
      ports: ['80:80'],
      depends_on: { db: { condition: 'service_healthy' } },
      healthcheck: { test: ['CMD', 'true'], interval: '10s' },
    },
    db: { image: 'redis:7-alpine' },
  },
  volumes: { data: null },
});

describe('Compose Specification schema', () => {
  it('comes from a registry package, as draft-07 JSON Schema', () => {
    const source = composeSchemaSource();
    expect(source.packageName).toBe('dclint');
    expect(source.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(source.schema.title).toBe('Compose Specification');
    expect(String(source.schema.$schema)).toContain('draft-07');
    // A current schema: knows the keys Compose added lately.
    const serviceProps = JSON.stringify(source.schema);
    for (const key of ['start_interval', 'develop', 'models']) expect(serviceProps).toContain(`"${key}"`);
  });

  it('accepts docker-compose.yml', () => {
    expect(validate(loadCompose())).toEqual([]);
  });

  it('accepts the minimal sample (so the failures below are about the one change)', () => {
    expect(validate(minimal())).toEqual([]);
  });

  it('rejects an unknown top-level key', () => {
    expect(validate({ ...minimal(), servicez: {} }).join('\n')).toMatch(/additional properties \(servicez\)/);
  });

  it('accepts x- extension keys at the top level and in a service', () => {
    const compose = minimal() as Record<string, unknown>;
    compose['x-shared'] = { anything: true };
    (compose.services as Record<string, Record<string, unknown>>).web!['x-note'] = 'ok';
    expect(validate(compose)).toEqual([]);
  });

  it('rejects an unknown service key', () => {
    const compose = minimal();
    (compose.services.web as Record<string, unknown>).restrat = 'always';
    expect(validate(compose).join('\n')).toMatch(/\/services\/web: must NOT have additional properties \(restrat\)/);
  });

  it('rejects a depends_on condition Compose does not know', () => {
    const compose = minimal();
    compose.services.web.depends_on.db.condition = 'service_ready';
    expect(validate(compose).join('\n')).toMatch(/\/services\/web\/depends_on/);
  });

  it('rejects a malformed healthcheck', () => {
    const compose = minimal();
    (compose.services.web.healthcheck as Record<string, unknown>).test = { cmd: 'true' };
    (compose.services.web.healthcheck as Record<string, unknown>).timout = '5s';
    const errors = validate(compose).join('\n');
    expect(errors).toMatch(/\/services\/web\/healthcheck\/test/);
    expect(errors).toMatch(/\(timout\)/);
  });

  it('rejects an environment given as a bare string', () => {
    const compose = minimal();
    (compose.services.web as Record<string, unknown>).environment = 'NODE_ENV=production';
    expect(validate(compose).join('\n')).toMatch(/\/services\/web\/environment/);
  });

  it('rejects a build without a context shape', () => {
    const compose = minimal();
    (compose.services.web as Record<string, unknown>).build = { context: '.', dockerfil: 'Dockerfile' };
    expect(validate(compose).join('\n')).toMatch(/dockerfil/);
  });

  it('validates YAML with anchors and merge keys after resolving them', () => {
    const compose = parseCompose(`
x-common: &common
  restart: unless-stopped
services:
  a:
    <<: *common
    image: redis:7-alpine
  b:
    <<: *common
    image: redis:7-alpine
    restart: sometimes-maybe
`);
    expect(compose.services?.a?.restart).toBe('unless-stopped');
    // restart is a free string in the schema; the reference checks pin it (see compose-references).
    expect(validate(compose)).toEqual([]);
    expect(validate({ ...compose, services: { a: { ...compose.services!.a, ports: 80 } } }).length).toBeGreaterThan(0);
  });
});
