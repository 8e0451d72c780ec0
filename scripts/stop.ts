/** `npm run stop`: stops what `npm start --detach` started (`--keep-infra` leaves the servers up). */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { infraDown } from '../infra/src/index.js';
import { isAlive as alive, stateFile, type PlatformState } from './platform.js';

if (existsSync(stateFile)) {
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as PlatformState;
  for (const proc of state.processes) {
    if (!alive(proc.pid)) continue;
    // Each was started in its own process group: signal the whole group, whatever it spawned.
    try {
      process.kill(-proc.pid, 'SIGTERM');
    } catch {
      process.kill(proc.pid, 'SIGTERM');
    }
  }
  const deadline = Date.now() + 15_000;
  while (state.processes.some((p) => alive(p.pid)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  for (const proc of state.processes) {
    if (alive(proc.pid)) {
      try {
        process.kill(-proc.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    console.log(`■ ${proc.name} stopped`);
  }
  rmSync(stateFile);
} else {
  console.log('No platform processes recorded as running.');
}
if (!process.argv.includes('--keep-infra')) await infraDown({ log: (line) => console.log(`  ${line}`) });
