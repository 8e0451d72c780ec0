/**
 * What the deployment checks know about the repository: the nine deployable processes, read from
 * their own files (package.json, src/app.ts) without importing any service code.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PLATFORM_PROCESSES, PLATFORM_SERVICES } from '../../contracts/src/platform.js';

/** The repository root (this package lives in packages/deployment). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export type AppKind = 'service' | 'gateway';

/**
 * The nine processes and their ports come from the platform's one catalogue
 * (packages/contracts/src/platform.ts). It is imported by path, not as a dependency: this package
 * checks the repository's files and the catalogue has no imports of its own.
 */
export const DESIGN_PORTS: Readonly<Record<string, number>> = Object.fromEntries(PLATFORM_PROCESSES.map((proc) => [proc.name, proc.port]));

export const SERVICE_NAMES: readonly string[] = PLATFORM_SERVICES.map((proc) => proc.name);

/** Compose service names of the gateway replicas nginx balances over. */
export const GATEWAY_REPLICAS = ['gateway-1', 'gateway-2'] as const;

export interface PackageJson {
  name?: string;
  version?: string;
  description?: string;
  packageManager?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

export interface AppInfo {
  /** Short name: `order`, `gateway`. */
  name: string;
  kind: AppKind;
  /** Folder relative to the repository root: `services/order`, `gateway`. */
  dir: string;
  packageName: string;
  /** The port DESIGN.md gives it. */
  port: number;
  /** `defaultPort` as written in src/app.ts; null when the file or the property is missing. */
  defaultPort: number | null;
  /** package.json, or null while the package does not exist yet. */
  pkg: PackageJson | null;
  /** Which shared servers its service-kit registration turns on (parsed from src/app.ts). */
  uses: { redis: boolean; elasticsearch: boolean };
}

export function readText(relativePath: string, root = repoRoot): string | null {
  const path = join(root, relativePath);
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}

export function readJson<T>(relativePath: string, root = repoRoot): T | null {
  const text = readText(relativePath, root);
  return text === null ? null : (JSON.parse(text) as T);
}

/**
 * The port a service definition gives: `defaultPort: defaultPortOf('order')` (the platform's
 * catalogue, what every app.ts writes) or a literal `defaultPort: 3006`; null when neither is there
 * or the name is not in the catalogue.
 */
export function parseDefaultPort(appSource: string): number | null {
  const fromCatalogue = /\bdefaultPort\s*:\s*defaultPortOf\(\s*['"]([a-z-]+)['"]\s*\)/.exec(appSource);
  if (fromCatalogue) return PLATFORM_PROCESSES.find((proc) => proc.name === fromCatalogue[1])?.port ?? null;
  const match = /\bdefaultPort\s*:\s*(\d+)/.exec(appSource);
  return match ? Number(match[1]) : null;
}

/** `redis: true` / `elasticsearch: true` in the serviceKit registration options. */
export function parseInfraUse(appSource: string): { redis: boolean; elasticsearch: boolean } {
  const code = appSource.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  return {
    redis: /\bredis\s*:\s*(true|\{)/.test(code),
    elasticsearch: /\belasticsearch\s*:\s*(true|\{)/.test(code),
  };
}

export function appInfo(name: string, root = repoRoot): AppInfo {
  const port = DESIGN_PORTS[name];
  if (port === undefined) throw new Error(`unknown app ${name}`);
  const kind: AppKind = name === 'gateway' ? 'gateway' : 'service';
  const dir = kind === 'gateway' ? 'gateway' : `services/${name}`;
  const appSource = readText(`${dir}/src/app.ts`, root) ?? '';
  return {
    name,
    kind,
    dir,
    packageName: `@foodxchange/${name}`,
    port,
    defaultPort: parseDefaultPort(appSource),
    pkg: readJson<PackageJson>(`${dir}/package.json`, root),
    uses: parseInfraUse(appSource),
  };
}

/** The eight services then the gateway, in DESIGN.md's order. */
export function listApps(root = repoRoot): AppInfo[] {
  return [...SERVICE_NAMES, 'gateway'].map((name) => appInfo(name, root));
}

/** `pnpm@9.15.9` from the root package.json. */
export function packageManager(root = repoRoot): string {
  const pkg = readJson<PackageJson>('package.json', root);
  if (!pkg?.packageManager) throw new Error('root package.json has no packageManager');
  return pkg.packageManager.split('+')[0]!;
}

/** `export const NAME = 'value';` from a TypeScript source (infra/src/versions.ts). */
export function parseStringConstant(source: string, name: string): string | null {
  const match = new RegExp(`export const ${name}\\s*=\\s*['"]([^'"]+)['"]`).exec(source);
  return match ? match[1]! : null;
}
