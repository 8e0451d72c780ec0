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
}

export interface LaunchOptions {
  infra: InfraUrls;
  /** Added to every port, so a second copy (end-to-end tests) can run beside `npm start`. */
  portOffset?: number;
  logDir?: string;
  /** Extra environment for one process, e.g. an isolated database name in tests. */
  envFor?: (name: string) => Record<string, string>;
  only?: string[];
}

export interface RunningProcess {
  name: string;
  port: number;
  log: string;
  child: ChildProcess;
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

/** Environment that points the gateway at each service: `<NAME>_SERVICE_URL`. */
export function upstreamEnv(offset = 0, host = '127.0.0.1'): Record<string, string> {
  return Object.fromEntries(
    SERVICES.map((service) => [`${service.name.toUpperCase()}_SERVICE_URL`, `http://${host}:${service.port + offset}`]),
  );
}

/**
 * What a process runs: its compiled build (`pnpm build`; scripts/build.ts's `ensureBuilt` runs it
 * before anything launches), with source maps so stack traces name the TypeScript lines.
 */
export function serverCommand(dir: string): { command: string; args: string[] } {
  const entry = join(root, dir, 'dist', 'server.js');
  if (!existsSync(entry)) throw new Error(`${dir} has no build (${entry} is missing): run pnpm build`);
  return { command: process.execPath, args: ['--enable-source-maps', entry] };
}

export function launch(options: LaunchOptions): RunningProcess[] {
  const offset = options.portOffset ?? 0;
  const logs = options.logDir ?? logDir;
  mkdirSync(logs, { recursive: true });
  return ALL_PROCESSES.filter((proc) => !options.only || options.only.includes(proc.name)).map((proc) => {
    const log = join(logs, `${proc.name}.log`);
    const out = openSync(log, 'a');
    const { command, args } = serverCommand(proc.dir);
    const child = spawn(command, args, {
      cwd: join(root, proc.dir),
      env: {
        ...process.env,
        NODE_ENV: process.env.NODE_ENV === 'test' ? 'test' : (process.env.NODE_ENV ?? 'development'),
        PORT: String(proc.port + offset),
        MONGO_URL: options.infra.mongoUrl,
        KAFKA_BROKERS: options.infra.kafkaBrokers,
        ELASTICSEARCH_URL: options.infra.elasticsearchUrl,
        REDIS_URL: options.infra.redisUrl,
        ...upstreamEnv(offset),
        // Every service verifies access tokens itself, against the auth service's public keys.
        JWKS_URL: `http://127.0.0.1:${portOf('auth', offset)}/api/v1/auth/.well-known/jwks.json`,
        ...(options.envFor?.(proc.name) ?? {}),
      },
      stdio: ['ignore', out, out],
      // Its own process group, so a stop reaches every process it may start.
      detached: true,
    });
    return { name: proc.name, port: proc.port + offset, log, child };
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
  processes: { name: string; pid: number; port: number; log: string }[];
}
