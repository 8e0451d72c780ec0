/**
 * The compiled build every launched process runs (`node dist/server.js`, see `serverCommand` in
 * platform.ts): `turbo run build`, i.e. `tsc -p tsconfig.build.json` in each of the eleven packages
 * that have a build (contracts, service-kit, the eight services, the gateway), each after the
 * packages it depends on. Incremental twice over: turbo replays a package whose inputs did not
 * change from its cache, and tsc re-checks only what changed (its build info sits in dist/).
 *
 * Called by everything that starts processes (`npm start`, `npm test`, the benchmarks), so a fresh
 * clone or an edited source never runs stale or missing JavaScript.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { root } from './platform.js';

/** Builds what is out of date; throws if the build fails. Returns how long it took in ms. */
export function ensureBuilt(options: { quiet?: boolean } = {}): number {
  const started = performance.now();
  const result = spawnSync(
    join(root, 'node_modules', '.bin', 'turbo'),
    // Two at a time: each tsc takes most of a core, and the machines this runs on have two.
    ['run', 'build', '--concurrency=2', '--output-logs=errors-only', '--log-prefix=task'],
    {
      cwd: root,
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' },
      stdio: options.quiet ? ['ignore', 'pipe', 'inherit'] : 'inherit',
      encoding: 'utf8',
    },
  );
  const ms = performance.now() - started;
  if (result.status !== 0) {
    if (options.quiet && result.stdout) process.stderr.write(result.stdout);
    throw new Error(`the build failed (turbo run build: exit ${result.status ?? result.signal}); see the errors above`);
  }
  if (!options.quiet) console.log(`  built in ${(ms / 1000).toFixed(1)} s`);
  return ms;
}
