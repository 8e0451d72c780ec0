import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachePaths } from '../src/cache.js';
import { ensureServer } from '../src/launcher.js';
import { ALERTS_FILE, COMPOSE_CONFIG_FILE, LOCAL_CONFIG_FILE, PROMETHEUS_CONFIG_DIR, writePrometheusFiles } from '../src/monitoring.js';
import { isPortOpen, livePidFromFile, runCommand, stopProcess, which } from '../src/process.js';
import type { ServerContext, ServerDriver } from '../src/servers/driver.js';
import { prometheusDriver } from '../src/servers/prometheus.js';
import type { ScrapeJob, ServerUpReport } from '../src/types.js';

// A private Prometheus (own port, own run folder, 1 s scrape and evaluation intervals) started
// through the launcher's own code path, with the platform's real alerts.yml. The launcher's
// Prometheus on 9090, if one runs, is never touched.
const PORT = 19190;
const PROMETHEUS = `http://127.0.0.1:${PORT}`;
const JOB = 'probe-target';
const paths = cachePaths();
const runDir = mkdtempSync(join(tmpdir(), 'fx-infra-prometheus-'));
const lines: string[] = [];
const ctx: ServerContext = { paths, runDir, logFile: join(runDir, 'prometheus.log'), pidFile: join(runDir, 'prometheus.pid'), log: (line) => lines.push(line) };
const noDependency = (): Promise<ServerUpReport> => Promise.reject(new Error('prometheus needs no other server'));

/** A stand-in platform process: answers /metrics in the text format, like every service does. */
let target: Server;
let targetAddress = '';
let report: ServerUpReport;

function driverFor(jobs: ScrapeJob[]): ServerDriver {
  return prometheusDriver({ port: PORT, jobs, scrapeIntervalSeconds: 1, evaluationIntervalSeconds: 1 });
}

/** Polls a condition (never a fixed sleep): resolves with its first truthy answer. */
async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(250);
  }
  throw new Error(`Timed out after ${timeoutMs / 1000} s waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
}

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${PROMETHEUS}${path}`, { signal: AbortSignal.timeout(5_000) });
  const body = (await res.json()) as { status: string; data: T };
  if (body.status !== 'success') throw new Error(`${path} answered ${JSON.stringify(body).slice(0, 200)}`);
  return body.data;
}

function promtool(args: string[]) {
  const bin = which('promtool');
  if (!bin) throw new Error("promtool is missing: Debian's prometheus package (installed by the launcher) ships it");
  return runCommand(bin, args, { cwd: PROMETHEUS_CONFIG_DIR });
}

beforeAll(async () => {
  if (await isPortOpen(PORT)) throw new Error(`port ${PORT} is taken: this test needs it for its private Prometheus`);
  target = createServer((request, response) => {
    if (request.url === '/metrics') {
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      response.end('# HELP probe_target_info A stand-in for a platform process.\n# TYPE probe_target_info gauge\nprobe_target_info 1\n');
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const address = target.address();
  if (address === null || typeof address === 'string') throw new Error('the stand-in target has no port');
  targetAddress = `127.0.0.1:${address.port}`;
  // Installs Prometheus from Debian's packages on a fresh machine (with promtool), then starts it.
  report = await ensureServer(driverFor([{ job: JOB, targets: [targetAddress] }]), ctx, {}, noDependency);
});

afterAll(async () => {
  const pid = livePidFromFile(ctx.pidFile, driverFor([]).processMarker);
  if (pid !== undefined) await stopProcess(pid, { signal: 'SIGTERM', group: true, timeoutMs: 15_000 });
  await new Promise<void>((resolve) => (target?.listening ? target.close(() => resolve()) : resolve()));
  rmSync(runDir, { recursive: true, force: true });
});

describe('the alerting rules and the configurations', () => {
  it('pass promtool check rules', async () => {
    const result = await promtool(['check', 'rules', ALERTS_FILE]);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(result.stdout).toMatch(/SUCCESS: 8 rules found/);
  });

  it('fire, and stay quiet, as alerts.test.yml states (promtool test rules)', async () => {
    const result = await promtool(['test', 'rules', 'alerts.test.yml']);
    expect(result.code, result.stderr + result.stdout).toBe(0);
  });

  it('pass promtool check config: the local, the compose and the launcher-written configuration', async () => {
    for (const file of [LOCAL_CONFIG_FILE, COMPOSE_CONFIG_FILE, join(runDir, 'prometheus.yml')]) {
      const result = await promtool(['check', 'config', file]);
      expect(result.code, `${file}: ${result.stderr}${result.stdout}`).toBe(0);
    }
  });

  it('are generated from the platform list: the committed files are what `pnpm infra prometheus-config` writes', () => {
    expect(writePrometheusFiles(true)).toEqual([]);
    const local = readFileSync(LOCAL_CONFIG_FILE, 'utf8');
    const compose = readFileSync(COMPOSE_CONFIG_FILE, 'utf8');
    for (const [name, port] of Object.entries({ auth: 3001, user: 3002, catalog: 3003, rfq: 3004, compliance: 3005, order: 3006, notification: 3007, admin: 3008 })) {
      expect(local).toContain(`targets: ["127.0.0.1:${port}"]`);
      expect(compose).toContain(`targets: ["${name}:${port}"]`);
    }
    expect(local).toContain('targets: ["127.0.0.1:8080"]');
    expect(compose).toContain('targets: ["gateway-1:8080", "gateway-2:8080"]');
  });
});

describe("the launcher's Prometheus", () => {
  it('is started by the launcher with the platform rules loaded', async () => {
    expect(report).toMatchObject({ name: 'prometheus', state: 'running', origin: 'started', action: 'started', port: PORT });
    expect(report.version).toMatch(/^\d+\.\d+\.\d+/);
    const rules = await api<{ groups: { rules: { name: string; type: string }[] }[] }>('/api/v1/rules');
    const names = rules.groups.flatMap((group) => group.rules.map((rule) => rule.name)).sort();
    expect(names).toEqual([
      'FoodXchangeDeadLettersGrowing',
      'FoodXchangeDeadLettersPiledUp',
      'FoodXchangeGatewayBreakerOpen',
      'FoodXchangeHighErrorRate',
      'FoodXchangeHighLatencyP95',
      'FoodXchangeNotReady',
      'FoodXchangeServiceClientBreakerOpen',
      'FoodXchangeTargetDown',
    ]);
  });

  it('alerts when a scraped process stops answering (FoodXchangeTargetDown pending, then firing)', async () => {
    const upOfTarget = async () =>
      (await api<{ result: { value: [number, string] }[] }>(`/api/v1/query?query=${encodeURIComponent(`up{job="${JOB}",platform="foodxchange"}`)}`)).result[0]?.value[1];
    await until('Prometheus to scrape the stand-in target', async () => (await upOfTarget()) === '1');

    await new Promise<void>((resolve) => target.close(() => resolve()));
    const alert = await until('FoodXchangeTargetDown to be pending or firing', async () => {
      const { alerts } = await api<{ alerts: { labels: Record<string, string>; state: string }[] }>('/api/v1/alerts');
      return alerts.find((each) => each.labels.alertname === 'FoodXchangeTargetDown' && each.labels.job === JOB && ['pending', 'firing'].includes(each.state));
    });
    expect(alert.labels).toMatchObject({ severity: 'critical', platform: 'foodxchange', instance: targetAddress });
  });

  it('takes new scrape targets when up finds it running (rewritten config, reloaded, same process)', async () => {
    const again = await ensureServer(driverFor([{ job: 'another-job', targets: [targetAddress] }]), ctx, {}, noDependency);
    expect(again).toMatchObject({ action: 'reused', origin: 'started', pid: report.pid });
    expect(lines.some((line) => line.includes('prometheus: reloaded'))).toBe(true);
    await until('the new job among the targets', async () => {
      const { activeTargets } = await api<{ activeTargets: { labels: Record<string, string> }[] }>('/api/v1/targets');
      const jobs = activeTargets.map((each) => each.labels.job);
      return jobs.includes('another-job') && !jobs.includes(JOB);
    });
  });
});
