/**
 * A throw-away repository with just the files the checks read (rendered Dockerfiles, package
 * manifests, app.ts, nginx.conf, infra versions), so mutation tests do not depend on what other
 * folders of the real repository contain at the moment.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DESIGN_PORTS, SERVICE_NAMES, loadCompose, renderDockerfile, repoRoot, type ComposeFile } from '../src/index.js';

/** What the fixture's apps register, as the real ones do. */
const USES: Record<string, string> = { catalog: 'redis: true, elasticsearch: true', auth: 'redis: true', notification: 'redis: true', gateway: 'redis: true' };

function write(root: string, path: string, content: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}

export function makeFixtureRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'fx-deployment-'));
  write(root, 'package.json', JSON.stringify({ name: 'foodxchange', private: true, packageManager: 'pnpm@9.15.9' }));
  write(root, 'infra/src/versions.ts', "export const KAFKA_VERSION = '3.9.1';\nexport const ELASTICSEARCH_VERSION = '8.19.21';\n");
  write(root, 'infra/prometheus/prometheus.compose.yml', 'scrape_configs: []\n');
  write(root, 'infra/prometheus/alerts.yml', 'groups: []\n');
  write(root, 'nginx/nginx.conf', 'events {}\nhttp {\n  upstream gateways {\n    server gateway-1:8080;\n    server gateway-2:8080;\n  }\n}\n');
  for (const name of [...SERVICE_NAMES, 'gateway']) {
    const kind = name === 'gateway' ? 'gateway' : 'service';
    const dir = kind === 'gateway' ? 'gateway' : `services/${name}`;
    const port = DESIGN_PORTS[name]!;
    const packageName = `@foodxchange/${name}`;
    write(root, `${dir}/package.json`, JSON.stringify({ name: packageName, version: '0.1.0', files: ['dist'], scripts: { build: 'tsc -p tsconfig.build.json' } }));
    write(root, `${dir}/src/server.ts`, '');
    write(root, `${dir}/src/app.ts`, `export const service = { name: '${name}', defaultPort: ${port} };\nregister({ ${USES[name] ?? ''} });\n`);
    write(root, `${dir}/Dockerfile`, renderDockerfile({ app: { name, kind, dir, packageName, port }, version: '0.1.0', packageManager: 'pnpm@9.15.9' }));
  }
  return root;
}

/** A compose object the tests reach into freely to break one thing at a time. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type MutableCompose = ComposeFile & { services: Record<string, any> };

/** The committed docker-compose.yml, as a fresh object to mutate. */
export function composeCopy(): MutableCompose {
  return structuredClone(loadCompose()) as MutableCompose;
}

export function readRepoFile(path: string): string {
  return readFileSync(join(repoRoot, path), 'utf8');
}
