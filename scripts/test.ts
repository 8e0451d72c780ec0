/**
 * `npm test`: starts (or reuses) the real servers, type-checks every package, then runs every
 * package's vitest suite against those servers and prints one total.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { infraUp } from '../infra/src/index.js';
import { root } from './platform.js';
import { ensureBuilt } from './build.js';

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTotalTests: number;
  success: boolean;
}

const only = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const skipTypecheck = process.argv.includes('--no-typecheck');

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: 'inherit' });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

function workspacePackages(): string[] {
  const dirs = ['packages', 'services'].flatMap((group) =>
    readdirSync(join(root, group), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${group}/${entry.name}`),
  );
  return [...dirs, 'gateway', 'infra', 'web', 'e2e'].filter((dir) => ['vitest.config.ts', 'vite.config.ts'].some((file) => existsSync(join(root, dir, file))));
}

const started = performance.now();
console.log('▶ infrastructure');
const infra = await infraUp({ log: (line) => console.log(`  ${line}`) });
const env: NodeJS.ProcessEnv = {
  ...process.env,
  TURBO_TELEMETRY_DISABLED: '1',
  DO_NOT_TRACK: '1',
  NODE_ENV: 'test',
  MONGO_URL: infra.mongoUrl,
  KAFKA_BROKERS: infra.kafkaBrokers,
  ELASTICSEARCH_URL: infra.elasticsearchUrl,
  REDIS_URL: infra.redisUrl,
};

const bin = (name: string) => join(root, 'node_modules', '.bin', name);
let failedSteps = 0;
if (!skipTypecheck && only.length === 0) {
  console.log('▶ type-check (tsc --strict, every package)');
  if ((await run(bin('turbo'), ['run', 'typecheck', '--concurrency=2', '--continue', '--output-logs=errors-only'], root, env)) !== 0) {
    failedSteps += 1;
    console.error('✖ type-check failed');
  }
  // The root scripts (start, stop, test, benchmark) are no package of their own: checked here.
  if ((await run(bin('tsc'), ['-p', 'scripts/tsconfig.json'], root, env)) !== 0) {
    failedSteps += 1;
    console.error('✖ type-check of scripts/ failed');
  }
}

// The end-to-end tests launch the processes' compiled JavaScript (scripts/platform.ts): build first.
console.log('▶ build (tsc, incremental)');
try {
  ensureBuilt();
} catch (error) {
  failedSteps += 1;
  console.error(`✖ ${(error as Error).message}`);
}

const reports = mkdtempSync(join(tmpdir(), 'foodxchange-tests-'));
const totals = { passed: 0, failed: 0, skipped: 0 };
const failedPackages: string[] = [];
const stepsFailedBeforeTests = failedSteps;
for (const dir of workspacePackages().filter((d) => only.length === 0 || only.some((o) => d.includes(o)))) {
  console.log(`\n▶ ${dir}`);
  const output = join(reports, `${dir.replace('/', '_')}.json`);
  const code = await run(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${output}`], join(root, dir), env);
  if (!existsSync(output)) {
    failedPackages.push(dir);
    totals.failed += 1;
    continue;
  }
  const report = JSON.parse(readFileSync(output, 'utf8')) as VitestReport;
  totals.passed += report.numPassedTests;
  totals.failed += report.numFailedTests;
  totals.skipped += report.numPendingTests;
  if (code !== 0 || !report.success) failedPackages.push(dir);
}

console.log(`\nFinished in ${((performance.now() - started) / 1000).toFixed(0)} s`);
if (failedPackages.length > 0) console.log(`Failing packages: ${failedPackages.join(', ')}`);
if (stepsFailedBeforeTests > 0) console.log('The type-check or the build failed (see ✖ above).');
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failedPackages.length > 0 || failedSteps > 0 ? 1 : 0);
