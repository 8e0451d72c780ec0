#!/usr/bin/env node
// The one entry point behind `npm start`, `npm test` and friends. Plain JavaScript with no
// dependencies, because on a brand-new machine nothing but Node and npm exists yet: it installs
// pnpm and the workspace's packages when they are missing, then hands over to the TypeScript
// script of the same name.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PNPM_VERSION = '9.15.9';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [command, ...args] = process.argv.slice(2);
const scripts = { start: 'start.ts', stop: 'stop.ts', test: 'test.ts', bench: 'bench-gateway.ts', 'bench-lookups': 'bench-lookups.ts', 'bench-login': 'bench-login.ts', 'bench-catalog': 'bench-catalog.ts', 'chaos-saga': 'chaos-saga.ts', 'bench-saga': 'bench-saga.ts', 'bench-idle': 'bench-idle.ts', 'bench-scale': 'bench-scale.ts', 'bench-web': 'bench-web.ts' };

function fail(message) {
  console.error(`\n✖ ${message}`);
  process.exit(1);
}

if (!scripts[command]) fail(`Unknown command "${command}". Use one of: ${Object.keys(scripts).join(', ')}.`);

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 18)) fail(`Node.js 20.18 or newer is required (this is ${process.version}).`);

function has(cmd, cmdArgs = ['--version']) {
  return spawnSync(cmd, cmdArgs, { stdio: 'ignore', shell: false }).status === 0;
}

function run(cmd, cmdArgs, what) {
  const result = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) fail(`${what} failed (exit ${result.status ?? result.signal}).`);
}

if (!has('pnpm')) {
  console.log(`• pnpm is missing: installing pnpm@${PNPM_VERSION} with npm`);
  const result = spawnSync('npm', ['install', '--global', `pnpm@${PNPM_VERSION}`], { stdio: 'inherit' });
  if (result.status !== 0 || !has('pnpm')) {
    fail(`Could not install pnpm. Install it yourself (npm install -g pnpm@${PNPM_VERSION}) and run this again.`);
  }
}

// Install when node_modules is missing or older than the lockfile.
const marker = join(root, 'node_modules', '.foodxchange-installed');
const lockfile = join(root, 'pnpm-lock.yaml');
const stale = !existsSync(marker) || (existsSync(lockfile) && statSync(lockfile).mtimeMs > statSync(marker).mtimeMs);
if (stale) {
  console.log('• installing workspace packages');
  run('pnpm', ['install', '--frozen-lockfile', '--prefer-offline'], 'pnpm install');
  writeFileSync(marker, new Date().toISOString());
}

const tsx = join(root, 'node_modules', '.bin', 'tsx');
// The scripts (and the package sources some of them import) run as TypeScript: workspace packages
// resolve to their sources. The processes they launch run the compiled build (scripts/build.ts).
const child = spawn(tsx, ['--conditions=@foodxchange/source', join(root, 'scripts', scripts[command]), ...args], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
