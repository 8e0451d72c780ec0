/**
 * Command-line tools the manifest checks run, built once from the Go module proxy with
 * `go install module@version` into the cache the infra launcher uses
 * (`${FOODXCHANGE_CACHE:-${XDG_CACHE_HOME:-~/.cache}/foodxchange}/bin`, versioned file names), and
 * reused from there: a fresh clone on a machine that built them before pays nothing.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface GoTool {
  /** Binary name: `kustomize`. */
  name: string;
  /** The package to install: `sigs.k8s.io/kustomize/kustomize/v5`. */
  module: string;
  version: string;
  /** An environment variable naming a binary to use instead (a packaged or preinstalled one). */
  overrideVariable: string;
}

/** The same root as infra/src/cache.ts, so both share one cache folder. */
export function toolCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FOODXCHANGE_CACHE) return resolve(env.FOODXCHANGE_CACHE);
  const xdgCache = env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(env.HOME ?? homedir(), '.cache');
  return join(xdgCache, 'foodxchange');
}

export function toolPath(tool: GoTool, env: NodeJS.ProcessEnv = process.env): string {
  return join(toolCacheRoot(env), 'bin', `${tool.name}-${tool.version}`);
}

export function findGo(): string {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/local/go/bin', '/usr/lib/go/bin']) {
    if (dir && existsSync(join(dir, 'go'))) return join(dir, 'go');
  }
  throw new Error('Go is needed to build the manifest tools (kustomize, kubeconform) from the Go module proxy: install Go 1.22 or newer');
}

const building = new Map<string, Promise<string>>();

/** The tool's binary: the override, the cached build, or a fresh build (about a minute on 2 cores, once). */
export function ensureGoTool(tool: GoTool, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const override = env[tool.overrideVariable];
  if (override) return Promise.resolve(override);
  const binary = toolPath(tool, env);
  if (existsSync(binary)) return Promise.resolve(binary);
  const pending = building.get(binary);
  if (pending) return pending;
  const build = (async () => {
    const bin = join(toolCacheRoot(env), 'bin');
    mkdirSync(bin, { recursive: true });
    // Each build installs into its own folder and is renamed last, so a concurrent or interrupted
    // build never leaves a binary that looks complete.
    const scratch = mkdtempSync(join(bin, `.${tool.name}-build-`));
    try {
      await run(findGo(), ['install', `${tool.module}@${tool.version}`], {
        env: { ...process.env, GOBIN: scratch, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false -trimpath' },
        maxBuffer: 16 * 1024 * 1024,
      });
      renameSync(join(scratch, tool.name), binary);
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      throw new Error(`go install ${tool.module}@${tool.version} failed: ${stderr.trim() || (error as Error).message}`);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    return binary;
  })();
  building.set(binary, build);
  return build;
}
