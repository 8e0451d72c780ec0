import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { InfraError } from './errors.js';
import { isAlive } from './process.js';

/**
 * A lock file holding the owner's pid, created with O_EXCL. Two `up` calls at once (the test
 * script and a developer's terminal, or two vitest workers) would otherwise both see a port
 * free and start two servers; the second now waits and then simply reuses what the first
 * started. A lock left by a killed launcher is recognised by its dead pid and taken over.
 */
export async function withLock<T>(
  lockFile: string,
  log: (line: string) => void,
  job: () => Promise<T>,
  timeoutMs = 20 * 60_000,
): Promise<T> {
  const token = `${process.pid} ${Date.now()} ${Math.random()}`;
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeSync(fd, token);
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw error;
      }
    }
    const holder = readHolder(lockFile);
    if (holder === undefined ? ageMs(lockFile) > 5_000 : holder !== process.pid && !isAlive(holder)) {
      // Stale: its launcher died (or died between creating and writing it). Take it over.
      rmSync(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new InfraError(`Another infra launcher (pid ${holder ?? '?'}) has held ${lockFile} for too long: wait for it or stop it.`);
    }
    if (!announced) {
      log(`waiting for another infra launcher (pid ${holder ?? '?'}) to finish...`);
      announced = true;
    }
    await sleep(250);
  }
  try {
    return await job();
  } finally {
    try {
      if (readFileSync(lockFile, 'utf8') === token) {
        rmSync(lockFile, { force: true });
      }
    } catch {
      // Already removed.
    }
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function readHolder(lockFile: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(lockFile, 'utf8').split(' ')[0] ?? '', 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
