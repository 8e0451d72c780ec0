import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InfraError } from './errors.js';
import { isExecutable } from './cache.js';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
  timeoutMs?: number;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, capturing its output; never throws for a non-zero exit. */
export function runCommand(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      uid: options.uid,
      gid: options.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      resolvePromise({
        code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
  });
}

/** Like runCommand but throws an InfraError carrying `what` and the last line of output. */
export async function runOrFail(what: string, command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await runCommand(command, args, options);
  if (result.code !== 0) {
    throw new InfraError(`${what} failed (exit ${result.code ?? 'signal'}): ${lastMeaningfulLine(result.stderr + '\n' + result.stdout)}`);
  }
  return result;
}

export function lastMeaningfulLine(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  const errorLine = [...lines].reverse().find((line) => /error|fail|cannot|could not|denied/i.test(line));
  return (errorLine ?? lines.at(-1) ?? 'no output').slice(0, 400);
}

/** Finds an executable on PATH (plus a few well-known install places PATH often lacks). */
export function which(command: string, extraDirs: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...extraDirs].filter(Boolean);
  for (const dir of dirs) {
    const candidate = join(dir, command);
    if (isExecutable(candidate)) {
      return candidate;
    }
  }
  return undefined;
}

export interface DetachedSpawn {
  command: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  logFile: string;
  pidFile: string;
  /** Run as another OS user (root starting PostgreSQL or Elasticsearch). */
  uid?: number;
  gid?: number;
}

/**
 * Starts a server that must outlive the launcher: its own session and process group (so a
 * Ctrl-C on the CLI does not reach it and `down` can signal the whole group), stdout and stderr
 * appended to a log file, not waited for. Resolves with the pid once the OS has started it.
 */
export async function spawnDetached(spec: DetachedSpawn): Promise<number> {
  const logFd = openSync(spec.logFile, 'a');
  try {
    writeFileSync(logFd, `\n--- ${new Date().toISOString()} ${spec.command} ${spec.args.join(' ')}\n`);
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      uid: spec.uid,
      gid: spec.gid,
      detached: true,
      stdio: ['ignore', logFd, logFd],
    });
    const pid = await new Promise<number>((resolvePid, reject) => {
      child.once('error', reject);
      child.once('spawn', () => {
        if (child.pid === undefined) {
          reject(new Error(`${spec.command} started without a pid`));
        } else {
          resolvePid(child.pid);
        }
      });
    });
    child.unref();
    writeFileSync(spec.pidFile, `${pid}\n`);
    return pid;
  } catch (error) {
    throw new InfraError(`Could not start ${spec.command}: ${(error as Error).message}`);
  } finally {
    closeSync(logFd);
  }
}

export function readPidFile(pidFile: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function removeFile(file: string): void {
  rmSync(file, { force: true });
}

/** Alive = exists and is not a zombie (a zombie still answers kill(pid, 0)). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM means it exists but belongs to someone else: still alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return existsSync(`/proc/${pid}`);
  }
}

export function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/**
 * The pid in `pidFile` if that process still runs and its command line contains `marker`:
 * after a reboot the pid may belong to an unrelated process, which we must never signal.
 */
export function livePidFromFile(pidFile: string, marker: string): number | undefined {
  const pid = readPidFile(pidFile);
  if (pid === undefined || !isAlive(pid)) {
    return undefined;
  }
  return commandLineOf(pid).includes(marker) ? pid : undefined;
}

export interface StopOptions {
  signal: NodeJS.Signals;
  /** Signal the whole process group (servers that fork helpers, like Elasticsearch's CLI + JVM). */
  group: boolean;
  timeoutMs: number;
}

/**
 * True while a live (non-zombie) process of the group exists. Reads /proc rather than
 * kill(-pgid, 0), which also counts zombies that a slow-reaping init has not collected yet.
 */
export function isGroupAlive(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return false;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after "(comm)": state ppid pgrp ...
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') {
        return true;
      }
    } catch {
      // Exited while we looked.
    }
  }
  return false;
}

/**
 * Sends the polite signal, waits until the process (or its whole group: Elasticsearch's CLI
 * exits before its server JVM has let go of the ports) is gone, then SIGKILLs what is left.
 * Resolves true if it had to force.
 */
export async function stopProcess(pid: number, options: StopOptions): Promise<boolean> {
  const target = options.group ? -pid : pid;
  const send = (signal: NodeJS.Signals): void => {
    try {
      process.kill(target, signal);
    } catch {
      // Already gone.
    }
  };
  const running = (): boolean => isAlive(pid) || (options.group && isGroupAlive(pid));
  send(options.signal);
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (!running()) {
      return false;
    }
    await sleep(100);
  }
  send('SIGKILL');
  while (running() && Date.now() < deadline + 5_000) {
    await sleep(100);
  }
  return true;
}

/** True when something accepts TCP connections on host:port. */
export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolveOpen) => {
    const socket = connect({ port, host });
    const finish = (open: boolean): void => {
      socket.destroy();
      resolveOpen(open);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

export function tailOfFile(file: string, lines = 5): string {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((line) => line.trim()).slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Resolves the numeric uid/gid of an OS user, or undefined if there is no such user. */
export async function userIds(user: string): Promise<{ uid: number; gid: number; home: string } | undefined> {
  const result = await runCommand('getent', ['passwd', user]);
  if (result.code !== 0) {
    return undefined;
  }
  const fields = result.stdout.trim().split(':');
  const uid = Number(fields[2]);
  const gid = Number(fields[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) {
    return undefined;
  }
  return { uid, gid, home: fields[5] ?? '/' };
}

/** Runs async jobs one at a time per key (apt and Maven must not run twice at once). */
const queues = new Map<string, Promise<unknown>>();
export function serialized<T>(key: string, job: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const next = previous.then(job, job);
  queues.set(
    key,
    next.catch(() => undefined),
  );
  return next;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
