/**
 * How the nine processes of the platform are started locally (like eShop's AppHost). Used by
 * `npm start`, the benchmarks and the end-to-end tests. Which processes exist, their folders and
 * ports come from the platform's catalogue in packages/contracts/src/platform.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PLATFORM_GATEWAY, PLATFORM_SERVICES } from '../packages/contracts/src/platform.js';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const runDir = join(root, '.run');
export const logDir = join(runDir, 'logs');
export const stateFile = join(runDir, 'platform.json');

export interface PlatformProcess {
  name: string;
  dir: string;
  port: number;
}

// From the one catalogue of the platform's processes (packages/contracts/src/platform.ts).
export const SERVICES: PlatformProcess[] = PLATFORM_SERVICES.map(({ name, dir, port }) => ({ name, dir, port }));

export const GATEWAY: PlatformProcess = { name: PLATFORM_GATEWAY.name, dir: PLATFORM_GATEWAY.dir, port: PLATFORM_GATEWAY.port };

export const ALL_PROCESSES = [...SERVICES, GATEWAY];

export interface InfraUrls {
  mongoUrl: string;
  kafkaBrokers: string;
  elasticsearchUrl: string;
  redisUrl: string;
  /** The SMTP server the notification service sends e-mail to (the launcher's MailDev by default). */
  smtpUrl?: string;
}

export interface LaunchOptions {
  infra: InfraUrls;
  /** Added to every port, so a second copy (end-to-end tests) can run beside `npm start`. */
  portOffset?: number;
  logDir?: string;
  /** Extra environment for one process, e.g. an isolated database name in tests. */
  envFor?: (name: string) => Record<string, string>;
  only?: string[];
  /**
   * Instances of every service and of the gateway (default 1). Replicas of a service share its
   * database and consumer group (Kafka spreads the partitions over them); the gateways get every
   * replica's URL and balance between them; nginx (scripts/nginx.ts) goes in front of the gateways.
   */
  replicas?: number;
  /** Only this replica of each process (restarting one): 1-based. */
  replica?: number;
  /**
   * nginx goes in front of the gateways (always with several): the gateways then take the
   * replica ports above the gateway's own, which nginx listens on. Default: replicas > 1.
   */
  gatewaysBehindNginx?: boolean;
}

export interface RunningProcess {
  name: string;
  /** 1-based; replica 1 has the catalogue's port, replica k that port + REPLICA_PORT_STEP × (k − 1). */
  replica: number;
  port: number;
  log: string;
  child: ChildProcess;
}

/** Replica k of a process listens on its port + REPLICA_PORT_STEP × (k − 1): 3006, 3106, … */
export const REPLICA_PORT_STEP = 100;

/**
 * With several gateway replicas nginx takes the gateway's own port (the one URL users know), and
 * the gateways move up one step each: 8180, 8280, …
 */
export function gatewayReplicaPort(replica: number, offset = 0): number {
  return GATEWAY.port + offset + REPLICA_PORT_STEP * replica;
}

function portOfReplica(proc: PlatformProcess, replica: number, replicas: number, offset: number, gatewaysBehindNginx = replicas > 1): number {
  if (proc.name === GATEWAY.name && gatewaysBehindNginx) return gatewayReplicaPort(replica, offset);
  return proc.port + offset + REPLICA_PORT_STEP * (replica - 1);
}

export function portOf(name: string, offset = 0): number {
  const proc = ALL_PROCESSES.find((p) => p.name === name);
  if (!proc) throw new Error(`unknown process ${name}`);
  return proc.port + offset;
}

/** The first platform admin, created by auth at start-up (override with ADMIN_EMAIL / ADMIN_PASSWORD). */
export const LOCAL_ADMIN = {
  email: process.env.ADMIN_EMAIL ?? 'admin@foodxchange.local',
  password: process.env.ADMIN_PASSWORD ?? 'FoodXchange-Admin-2026!',
};

/** Environment that points the gateway at each service's replicas: `<NAME>_SERVICE_URL=<url>[,<url>…]`. */
export function upstreamEnv(offset = 0, host = '127.0.0.1', replicas = 1): Record<string, string> {
  return Object.fromEntries(
    SERVICES.map((service) => [
      `${service.name.toUpperCase()}_SERVICE_URL`,
      Array.from({ length: replicas }, (_, i) => `http://${host}:${portOfReplica(service, i + 1, replicas, offset)}`).join(','),
    ]),
  );
}

/**
 * What a process runs: its compiled build (`pnpm build`; scripts/build.ts's `ensureBuilt` runs it
 * before anything launches), with source maps so stack traces name the TypeScript lines.
 */
export function serverCommand(dir: string): { command: string; args: string[] } {
  const entry = join(root, dir, 'dist', 'server.js');
  if (!existsSync(entry)) throw new Error(`${dir} has no build (${entry} is missing): run pnpm build`);
  // The flags the images run with (packages/deployment's RUNTIME_COMMAND says why).
  return { command: process.execPath, args: ['--enable-source-maps', '--no-memory-reducer', entry] };
}

export function launch(options: LaunchOptions): RunningProcess[] {
  const offset = options.portOffset ?? 0;
  const logs = options.logDir ?? logDir;
  mkdirSync(logs, { recursive: true });
  const replicas = options.replicas ?? 1;
  const instances = ALL_PROCESSES.filter((proc) => !options.only || options.only.includes(proc.name)).flatMap((proc) =>
    Array.from({ length: replicas }, (_, i) => ({ proc, replica: i + 1 })).filter(({ replica }) => options.replica === undefined || options.replica === replica),
  );
  return instances.map(({ proc, replica }) => {
    const port = portOfReplica(proc, replica, replicas, offset, options.gatewaysBehindNginx);
    const log = join(logs, replicas > 1 ? `${proc.name}-${replica}.log` : `${proc.name}.log`);
    const out = openSync(log, 'a');
    const { command, args } = serverCommand(proc.dir);
    const child = spawn(command, args, {
      cwd: join(root, proc.dir),
      env: {
        ...process.env,
        NODE_ENV: process.env.NODE_ENV === 'test' ? 'test' : (process.env.NODE_ENV ?? 'development'),
        PORT: String(port),
        MONGO_URL: options.infra.mongoUrl,
        KAFKA_BROKERS: options.infra.kafkaBrokers,
        ELASTICSEARCH_URL: options.infra.elasticsearchUrl,
        REDIS_URL: options.infra.redisUrl,
        ...(proc.name === 'notification' && options.infra.smtpUrl ? { SMTP_URL: options.infra.smtpUrl } : {}),
        ...upstreamEnv(offset, '127.0.0.1', replicas),
        ...(proc.name === GATEWAY.name && replicas > 1 ? { GATEWAY_INSTANCE: `gateway-${replica}` } : {}),
        // Every service verifies access tokens itself, against the auth service's public keys.
        JWKS_URL: `http://127.0.0.1:${portOf('auth', offset)}/api/v1/auth/.well-known/jwks.json`,
        ...(options.envFor?.(proc.name) ?? {}),
      },
      stdio: ['ignore', out, out],
      // Its own process group, so a stop reaches every process it may start.
      detached: true,
    });
    return { name: proc.name, replica, port, log, child };
  });
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** Waits for each process's liveness, then for the gateway's aggregated readiness. */
export async function waitForPlatform(
  processes: RunningProcess[],
  { timeoutMs = 90_000, onReady }: { timeoutMs?: number; onReady?: (proc: RunningProcess) => void } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const proc of processes) {
    while (!(await answers(`http://127.0.0.1:${proc.port}/health/live`))) {
      if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited with code ${proc.child.exitCode}; see ${proc.log}`);
      if (Date.now() > deadline) throw new Error(`${proc.name} did not start within ${timeoutMs / 1000} s; see ${proc.log}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    onReady?.(proc);
  }
  const gateway = processes.find((p) => p.name === GATEWAY.name);
  if (!gateway) return;
  while (!(await answers(`http://127.0.0.1:${gateway.port}/health`))) {
    if (Date.now() > deadline) throw new Error(`services not all ready behind the gateway within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/** SIGTERM (graceful: drain HTTP, stop consumers, close pools), SIGKILL after the grace time. */
export async function stopProcesses(processes: RunningProcess[], graceMs = 12_000): Promise<void> {
  await Promise.all(
    processes.map(
      ({ child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => {
            signalGroup(child, 'SIGKILL');
            resolve();
          }, graceMs);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          signalGroup(child, 'SIGTERM');
        }),
    ),
  );
}

/** Whether a process id still belongs to a running process (signal 0 checks without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface PlatformState {
  startedAt: string;
  processes: { name: string; replica?: number; pid: number; port: number; log: string }[];
}
