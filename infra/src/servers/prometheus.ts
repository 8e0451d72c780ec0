import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir } from '../cache.js';
import { InfraError } from '../errors.js';
import { ALERTS_FILE, localScrapeJobs, renderPrometheusConfig } from '../monitoring.js';
import { aptInstall } from '../prereqs.js';
import { livePidFromFile, spawnDetached, which } from '../process.js';
import type { PrometheusOptions } from '../types.js';
import { HOST, PORTS } from '../versions.js';
import type { ProbeResult, ServerContext, ServerDriver } from './driver.js';

/** Where one Prometheus listens and what it scrapes (a test runs a private one on its own port). */
export interface PrometheusInstance extends PrometheusOptions {
  port: number;
  /** Absolute paths; default: the platform's alerting rules, infra/prometheus/alerts.yml. */
  ruleFiles?: string[];
}

export const DEFAULT_PROMETHEUS: PrometheusInstance = { port: PORTS.prometheus };

/**
 * Prometheus from Debian's `prometheus` package (2.42 on bookworm; promtool comes with it),
 * started only when asked for by name. Its configuration is rendered at every start (and
 * rewritten, then reloaded, when `up` finds ours running with other targets), its TSDB lives
 * in its own run folder and is kept for two days: this is a dev/CI monitor, not long-term storage.
 */
export function prometheusDriver(instance: PrometheusInstance = DEFAULT_PROMETHEUS): ServerDriver {
  let prometheusBin: string | undefined;
  const url = `http://${HOST}:${instance.port}`;
  const configText = (): string =>
    renderPrometheusConfig({
      header: ['Written by the infra launcher at each start of its Prometheus: edits are lost.'],
      jobs: instance.jobs ?? localScrapeJobs(),
      ruleFiles: instance.ruleFiles ?? [ALERTS_FILE],
      ...(instance.scrapeIntervalSeconds !== undefined ? { scrapeIntervalSeconds: instance.scrapeIntervalSeconds } : {}),
      ...(instance.evaluationIntervalSeconds !== undefined ? { evaluationIntervalSeconds: instance.evaluationIntervalSeconds } : {}),
    });
  const configFile = (ctx: ServerContext) => join(ctx.runDir, 'prometheus.yml');
  // Its listen address: another Prometheus (the machine's own, a test's private one) never matches.
  const processMarker = `--web.listen-address=${HOST}:${instance.port}`;

  return {
    name: 'prometheus',
    label: 'Prometheus server',
    port: instance.port,
    defaultUrl: url,
    envVar: instance.port === PORTS.prometheus ? 'PROMETHEUS_URL' : undefined,
    version: 'debian',
    processMarker,
    stop: { signal: 'SIGTERM', group: true, timeoutMs: 15_000 },
    startTimeoutMs: 30_000,

    async install() {
      prometheusBin = which('prometheus');
      if (prometheusBin) {
        return { cached: true };
      }
      // Debian's package also ships promtool (rule and config checks) beside the server.
      await aptInstall(['prometheus'], 'Prometheus (monitoring)');
      prometheusBin = which('prometheus');
      if (!prometheusBin) {
        throw new InfraError('apt-get installed prometheus but no prometheus binary is on PATH.');
      }
      return { cached: false };
    },

    async start(ctx) {
      if (!prometheusBin) {
        throw new InfraError('prometheus was not installed before starting it.');
      }
      const dataDir = ensureDir(join(ctx.runDir, 'data'));
      writeFileSync(configFile(ctx), configText());
      return spawnDetached({
        command: prometheusBin,
        args: [
          `--config.file=${configFile(ctx)}`,
          `--storage.tsdb.path=${dataDir}`,
          '--storage.tsdb.retention.time=2d',
          processMarker,
          // POST /-/reload: `up` applies new targets to a running Prometheus of ours without a restart.
          '--web.enable-lifecycle',
          '--log.level=warn',
        ],
        cwd: ctx.runDir,
        logFile: ctx.logFile,
        pidFile: ctx.pidFile,
      });
    },

    probe: probePrometheus,

    async afterReady(ctx) {
      // Found running (or just started): make sure ours scrapes what this caller asked for. A
      // Prometheus this launcher did not start keeps its own configuration.
      if (livePidFromFile(ctx.pidFile, processMarker) === undefined) return;
      const wanted = configText();
      let current = '';
      try {
        current = readFileSync(configFile(ctx), 'utf8');
      } catch {
        // Written by start(); missing only if someone deleted it.
      }
      if (current === wanted) return;
      writeFileSync(configFile(ctx), wanted);
      const res = await fetch(`${url}/-/reload`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
      if (!res.ok) {
        throw new InfraError(`Prometheus refused its new configuration ${configFile(ctx)} (${res.status}): ${(await res.text()).trim().slice(0, 300)}`);
      }
      ctx.log(`prometheus: reloaded with the new scrape targets (${configFile(ctx)})`);
    },
  };
}

/** `/-/ready` (200 once the TSDB is open), then the build info for the version. */
export async function probePrometheus(url: string): Promise<ProbeResult> {
  try {
    const ready = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2_000) });
    if (ready.status !== 200) {
      return { ok: false, reason: `/-/ready answered ${ready.status}` };
    }
    const text = await ready.text();
    if (!/prometheus/i.test(text)) {
      return { ok: false, reason: `not a Prometheus server (/-/ready answered ${JSON.stringify(text.slice(0, 40))})` };
    }
    const info = await fetch(`${url}/api/v1/status/buildinfo`, { signal: AbortSignal.timeout(2_000) });
    const body = (await info.json().catch(() => undefined)) as { data?: { version?: string } } | undefined;
    return body?.data?.version ? { ok: true, version: body.data.version } : { ok: true };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}
