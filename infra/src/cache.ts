import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { ServerName } from './types.js';
import { SYSTEM_DATA_ROOT } from './versions.js';

/**
 * Everything the launcher downloads, builds and runs lives under one folder outside the clone,
 * so a fresh clone (or `git clean`) never throws away 300 MB of installs, and every clone on the
 * machine shares them: `${FOODXCHANGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/foodxchange}`.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FOODXCHANGE_CACHE) {
    return resolve(env.FOODXCHANGE_CACHE);
  }
  const xdgCache = env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(env.HOME ?? homedir(), '.cache');
  return join(xdgCache, 'foodxchange');
}

export interface CachePaths {
  root: string;
  /** Built binaries (FerretDB), versioned file names. */
  bin: string;
  /** Scratch space for builds and downloads (FerretDB source copy, Maven poms, the ES zip). */
  build: string;
  /** Runtime: one folder per server with its pid file, metadata and stdout/stderr log. */
  run: string;
  /** Held while `up` or `down` runs so two launchers never start the same server twice. */
  lockFile: string;
}

export function cachePaths(root: string = cacheRoot()): CachePaths {
  return {
    root,
    bin: join(root, 'bin'),
    build: join(root, 'build'),
    run: join(root, 'run'),
    lockFile: join(root, 'infra.lock'),
  };
}

export function serverRunDir(paths: CachePaths, server: ServerName): string {
  return join(paths.run, server);
}

export function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * True when a user that is neither the owner nor in the group of `dir`'s ancestors can reach
 * `dir` (every existing ancestor has the "others may traverse" bit). Debian gives root a 0700
 * home, so `/root/.cache/foodxchange` fails this and the servers that must run as another OS
 * user (PostgreSQL, Elasticsearch) keep their data under SYSTEM_DATA_ROOT instead.
 */
export function isTraversableByOthers(dir: string): boolean {
  let current = resolve(dir);
  for (;;) {
    try {
      const mode = statSync(current).mode;
      if ((mode & 0o001) === 0) {
        return false;
      }
    } catch {
      // Not created yet: it will be created with the usual 0755, only the parents matter.
    }
    const parent = dirname(current);
    if (parent === current) {
      return true;
    }
    current = parent;
  }
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * The folder that holds the files of a server that runs as another OS user: inside the cache
 * when that user can reach it, else under SYSTEM_DATA_ROOT (see isTraversableByOthers).
 */
export function foreignUserRoot(paths: CachePaths, server: ServerName): string {
  if (isRoot() && !isTraversableByOthers(paths.root)) {
    return join(SYSTEM_DATA_ROOT, server);
  }
  return serverRunDir(paths, server);
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
