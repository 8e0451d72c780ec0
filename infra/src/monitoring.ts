/**
 * Prometheus configuration for the platform, rendered from the platform's list of processes:
 * the launcher's own Prometheus (written at each start, with the targets it is given), and the
 * two files in infra/prometheus/ that run without the launcher — `prometheus.yml` (loopback, the
 * DESIGN.md ports) and `prometheus.compose.yml` (compose service names as hosts). Those two are
 * generated (`pnpm infra prometheus-config`) and a test keeps them equal to this rendering, so a
 * new service is scraped once it is in the platform's list.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// Plain data modules without dependencies: the launcher stays free of the workspace's packages.
import { PLATFORM_PROCESSES } from '../../packages/contracts/src/platform.js';
import { GATEWAY_REPLICAS } from '../../packages/deployment/src/platform.js';
import { HOST } from './versions.js';
import type { ScrapeJob } from './types.js';

/** infra/prometheus: the alerting rules and the generated configurations. */
export const PROMETHEUS_CONFIG_DIR = fileURLToPath(new URL('../prometheus/', import.meta.url));
export const ALERTS_FILE = join(PROMETHEUS_CONFIG_DIR, 'alerts.yml');
export const LOCAL_CONFIG_FILE = join(PROMETHEUS_CONFIG_DIR, 'prometheus.yml');
export const COMPOSE_CONFIG_FILE = join(PROMETHEUS_CONFIG_DIR, 'prometheus.compose.yml');

/**
 * Every scraped target carries it, and the alerts select on it: a Prometheus that also scrapes
 * other things (an operator's own) alerts only on the platform's targets.
 */
export const PLATFORM_LABEL = { name: 'platform', value: 'foodxchange' } as const;

export const DEFAULT_SCRAPE_INTERVAL_SECONDS = 15;
export const DEFAULT_EVALUATION_INTERVAL_SECONDS = 15;

/** The nine processes (eight services, then the gateway) and their DESIGN.md ports, from the platform's catalogue. */
export function platformProcesses(): { name: string; port: number }[] {
  return PLATFORM_PROCESSES.map(({ name, port }) => ({ name, port }));
}

/** One job per process on loopback: what `npm start` runs. */
export function localScrapeJobs(host = HOST): ScrapeJob[] {
  return platformProcesses().map(({ name, port }) => ({ job: name, targets: [`${host}:${port}`] }));
}

/**
 * One job per process with compose's service names as hosts; the gateway runs as several
 * replicas behind nginx there, each scraped on its own (nginx would hand every scrape to one).
 */
export function composeScrapeJobs(): ScrapeJob[] {
  return platformProcesses().map(({ name, port }) => ({
    job: name,
    targets: name === 'gateway' ? GATEWAY_REPLICAS.map((replica) => `${replica}:${port}`) : [`${name}:${port}`],
  }));
}

export interface PrometheusConfigSpec {
  jobs: ScrapeJob[];
  /** As written in the file: relative paths are resolved against the config file's folder. */
  ruleFiles: string[];
  scrapeIntervalSeconds?: number;
  evaluationIntervalSeconds?: number;
  /** First lines, as `#` comments. */
  header?: string[];
}

/**
 * The YAML, written by hand: a fixed shape with names and `host:port` strings only, every string
 * quoted as JSON (a subset of YAML's double-quoted style), so no YAML library is needed.
 */
export function renderPrometheusConfig(spec: PrometheusConfigSpec): string {
  const scrape = spec.scrapeIntervalSeconds ?? DEFAULT_SCRAPE_INTERVAL_SECONDS;
  const evaluation = spec.evaluationIntervalSeconds ?? DEFAULT_EVALUATION_INTERVAL_SECONDS;
  // Prometheus refuses a scrape timeout longer than the interval (its default timeout is 10 s).
  const timeout = Math.min(10, scrape);
  const q = (text: string) => JSON.stringify(text);
  const lines = [
    ...(spec.header ?? []).map((line) => `# ${line}`.trimEnd()),
    'global:',
    `  scrape_interval: ${scrape}s`,
    `  scrape_timeout: ${timeout}s`,
    `  evaluation_interval: ${evaluation}s`,
    'rule_files:',
    ...spec.ruleFiles.map((file) => `  - ${q(file)}`),
    'scrape_configs:',
  ];
  for (const { job, targets } of spec.jobs) {
    lines.push(
      `  - job_name: ${q(job)}`,
      '    metrics_path: /metrics',
      '    static_configs:',
      `      - targets: [${targets.map(q).join(', ')}]`,
      '        labels:',
      `          ${PLATFORM_LABEL.name}: ${q(PLATFORM_LABEL.value)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const generatedHeader = (what: string): string[] => [
  `Prometheus for ${what}: scrapes the nine processes of the platform, alerting rules in alerts.yml.`,
  'Generated from the platform\'s process list by `pnpm infra prometheus-config`: do not edit by hand',
  '(infra/test/prometheus.test.ts fails when this file and the list disagree).',
];

/** The committed files and what they must contain. */
export function generatedPrometheusFiles(): { file: string; content: string }[] {
  return [
    {
      file: LOCAL_CONFIG_FILE,
      content: renderPrometheusConfig({
        header: [...generatedHeader('local runs'), 'Run: prometheus --config.file=infra/prometheus/prometheus.yml (or: npm start -- --monitoring).'],
        jobs: localScrapeJobs(),
        ruleFiles: ['alerts.yml'],
      }),
    },
    {
      file: COMPOSE_CONFIG_FILE,
      content: renderPrometheusConfig({
        header: [...generatedHeader('docker-compose.yml'), 'Mount it and alerts.yml into the same folder of the container (rule_files is relative).'],
        jobs: composeScrapeJobs(),
        ruleFiles: ['alerts.yml'],
      }),
    },
  ];
}

/** Writes the generated files (or, with `check`, only lists those that differ). */
export function writePrometheusFiles(check = false): string[] {
  const stale: string[] = [];
  for (const { file, content } of generatedPrometheusFiles()) {
    let current: string | undefined;
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === content) continue;
    stale.push(file);
    if (!check) writeFileSync(file, content);
  }
  return stale;
}
