/**
 * The platform's processes: the one declaration of what runs, where its code lives, the port it
 * listens on by default (DESIGN.md's) and the public path prefixes the gateway routes to it.
 * Start-up (`scripts/platform.ts`), the gateway's routing, every service's `defaultPort`, the
 * deployment checks (compose, nginx, Dockerfiles) and the Kubernetes manifests are built or
 * checked from this list, so adding a service is one entry here and its own folder.
 */

export type ProcessKind = 'service' | 'gateway';

export interface PlatformProcess {
  /** Short name: `order`, `gateway`. Also its host name in compose and its Kubernetes Service. */
  name: string;
  kind: ProcessKind;
  /** Folder relative to the repository root. */
  dir: string;
  /** Default port (DESIGN.md); environments may move it with PORT. */
  port: number;
  /** Public path prefixes the gateway sends to it (none for the gateway itself). */
  prefixes: readonly string[];
}

const service = (name: string, port: number, prefixes: readonly string[]): PlatformProcess => ({
  name,
  kind: 'service',
  dir: `services/${name}`,
  port,
  prefixes,
});

/** Every service behind the gateway, in DESIGN.md's order. */
export const PLATFORM_SERVICES: readonly PlatformProcess[] = [
  service('auth', 3001, ['/api/v1/auth']),
  service('user', 3002, ['/api/v1/users', '/api/v1/companies']),
  service('catalog', 3003, ['/api/v1/products', '/api/v1/categories', '/api/v1/suppliers']),
  service('rfq', 3004, ['/api/v1/rfqs']),
  service('compliance', 3005, ['/api/v1/compliance']),
  service('order', 3006, ['/api/v1/orders']),
  service('notification', 3007, ['/api/v1/notifications']),
  service('admin', 3008, ['/api/v1/admin']),
];

export const PLATFORM_GATEWAY: PlatformProcess = { name: 'gateway', kind: 'gateway', dir: 'gateway', port: 8080, prefixes: [] };

/** The nine processes: the services, then the gateway. */
export const PLATFORM_PROCESSES: readonly PlatformProcess[] = [...PLATFORM_SERVICES, PLATFORM_GATEWAY];

/** One process by name; throws for a name the platform does not have (a typo fails at start-up). */
export function platformProcess(name: string): PlatformProcess {
  const found = PLATFORM_PROCESSES.find((proc) => proc.name === name);
  if (!found) throw new Error(`Unknown platform process "${name}"; known: ${PLATFORM_PROCESSES.map((p) => p.name).join(', ')}`);
  return found;
}

/** A process's default port: what its `defineService({ defaultPort })` uses. */
export function defaultPortOf(name: string): number {
  return platformProcess(name).port;
}
