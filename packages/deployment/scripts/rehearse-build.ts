/**
 * Rehearses an image build without Docker: follows the committed Dockerfile instruction by
 * instruction in a scratch folder (one fake root per stage, the build context filtered through
 * .dockerignore, container paths mapped into that root), then starts the result with the image's
 * CMD and ENV and runs its HEALTHCHECK command.
 *
 *   pnpm --filter @foodxchange/deployment rehearse [order gateway ...] [--no-start]
 *
 * Needs the package registry (the build stage's `pnpm fetch`) and, to start, the local servers
 * (`pnpm infra up`); each rehearsal uses its own database (`rehearsal_<name>`, left behind: drop it
 * when done) and consumer group (`rehearsal.<name>`) on loopback port 39xxx. What it cannot
 * rehearse: the base image itself, `corepack` (the machine's pnpm must be the pinned version) and
 * the switch to the `node` user. Not part of `test`: it downloads and takes a minute or two.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { Instruction } from 'dockerfile-ast';
import { isIgnored, parseDockerignore } from '../src/dockerignore.js';
import { parseDockerfile, stagesOf } from '../src/dockerfile.js';
import { listApps, packageManager, repoRoot, type AppInfo } from '../src/platform.js';

const argv = process.argv.slice(2);
const start = !argv.includes('--no-start');
const wanted = argv.filter((arg) => !arg.startsWith('--'));
const apps = listApps().filter((app) => wanted.length === 0 || wanted.includes(app.name));

function sh(command: string, cwd: string, env: NodeJS.ProcessEnv): void {
  console.log(`    $ ${command}`);
  const result = spawnSync('sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`failed (${result.status}): ${command}\n${result.stdout}\n${result.stderr}`);
  }
}

/** The build context: the repository minus .dockerignore (node_modules never walked). */
function copyContext(to: string): void {
  const rules = parseDockerignore(readFileSync(join(repoRoot, '.dockerignore'), 'utf8'));
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(repoRoot, dir), { withFileTypes: true })) {
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.name === 'node_modules' || isIgnored(rules, path)) continue;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) cpSync(join(repoRoot, path), join(to, path));
    }
  };
  walk('');
}

function words(instruction: Instruction): string[] {
  return instruction.getArguments().map((arg) => arg.getValue());
}

function flag(instruction: Instruction, name: string): string | null {
  const flags = (instruction as unknown as { getFlags(): { getName(): string; getValue(): string | null }[] }).getFlags();
  return flags.find((f) => f.getName() === name)?.getValue() ?? null;
}

function properties(instruction: Instruction): [string, string][] {
  const props = (instruction as unknown as { getProperties(): { getName(): string; getValue(): string | null }[] }).getProperties();
  return props.map((p) => [p.getName(), (p.getValue() ?? '').replace(/^"|"$/g, '')]);
}

interface Result {
  root: string;
  workdir: string;
  env: Record<string, string>;
  cmd: string[];
  healthcheck: string[];
}

async function rehearse(app: AppInfo, scratch: string): Promise<Result> {
  const context = join(scratch, 'context');
  copyContext(context);
  const stages = stagesOf(parseDockerfile(readFileSync(join(repoRoot, app.dir, 'Dockerfile'), 'utf8')));
  const roots: Record<string, string> = {};
  let result: Result | undefined;
  for (const [index, stage] of stages.entries()) {
    const root = join(scratch, `stage-${index}-${stage.name ?? 'unnamed'}`);
    mkdirSync(root, { recursive: true });
    roots[stage.name ?? String(index)] = root;
    const inRoot = (path: string) => join(root, path);
    const mapPaths = (text: string) => text.replace(/(^|\s)(\/[\w./-]+)/g, (_m, lead: string, path: string) => `${lead}${inRoot(path)}`);
    let workdir = '/';
    const env: Record<string, string> = {};
    let cmd: string[] = [];
    let healthcheck: string[] = [];
    console.log(`  FROM ${stage.image}${stage.name ? ` AS ${stage.name}` : ''}`);
    for (const instruction of stage.instructions) {
      const keyword = instruction.getKeyword();
      const content = instruction.getArgumentsContent() ?? '';
      switch (keyword) {
        case 'ENV':
          for (const [key, value] of properties(instruction)) env[key] = value.startsWith('/') ? inRoot(value) : value;
          break;
        case 'WORKDIR':
          workdir = words(instruction)[0]!;
          mkdirSync(inRoot(workdir), { recursive: true });
          break;
        case 'COPY': {
          const from = flag(instruction, 'from');
          const parts = words(instruction).filter((word) => !word.startsWith('--'));
          const dest = parts.pop()!;
          const target = dest.startsWith('/') ? inRoot(dest) : join(inRoot(workdir), dest);
          const sourceRoot = from ? roots[from] : context;
          if (!sourceRoot) throw new Error(`COPY --from=${from}: no such stage`);
          for (const source of parts) {
            const path = join(sourceRoot, source);
            if (!existsSync(path)) throw new Error(`COPY ${source}: not in the ${from ? `stage ${from}` : 'build context'}`);
            // A file copied to a folder (`dest/`) keeps its name; a folder's contents go into dest.
            const destination = dest.endsWith('/') && !statSync(path).isDirectory() ? join(target, source.split('/').pop()!) : target;
            mkdirSync(dirname(destination), { recursive: true });
            cpSync(path, destination, { recursive: true, verbatimSymlinks: true });
          }
          console.log(`    COPY ${from ? `--from=${from} ` : ""}${content}`);
          break;
        }
        case 'RUN': {
          const commands = content.split('&&').map((part) => part.trim());
          for (const command of commands) {
            if (command.startsWith('corepack ')) {
              const pinned = /pnpm@([\d.]+)/.exec(command)?.[1];
              const have = spawnSync('pnpm', ['--version'], { encoding: 'utf8' }).stdout.trim();
              if (pinned && have !== pinned) throw new Error(`this machine's pnpm is ${have}, the image pins ${pinned}`);
              console.log(`    (corepack skipped: pnpm ${have} is on PATH)`);
              continue;
            }
            sh(mapPaths(command), inRoot(workdir), { ...process.env, ...env, npm_config_store_dir: env.npm_config_store_dir });
          }
          break;
        }
        case 'CMD':
          cmd = JSON.parse(content) as string[];
          break;
        case 'HEALTHCHECK': {
          const at = content.indexOf('CMD');
          healthcheck = JSON.parse(content.slice(at + 3).trim()) as string[];
          break;
        }
        default:
          break; // LABEL, USER, EXPOSE: nothing to do on disk
      }
    }
    result = { root, workdir: inRoot(workdir), env, cmd, healthcheck };
  }
  if (!result) throw new Error('no stages');
  return result;
}

async function startAndProbe(app: AppInfo, image: Result): Promise<void> {
  const port = String(39000 + (app.port % 1000));
  const env = {
    ...process.env,
    ...image.env,
    // Loopback only, a port of its own, and its own database and consumer group.
    HOST: '127.0.0.1',
    PORT: port,
    MONGO_DB: `rehearsal_${app.name}`,
    KAFKA_GROUP_ID: `rehearsal.${app.name}`,
    LOG_LEVEL: 'warn',
    ...Object.fromEntries(listApps().filter((a) => a.kind === 'service').map((a) => [`${a.name.toUpperCase()}_SERVICE_URL`, `http://127.0.0.1:${a.port}`])),
  };
  const [command, ...args] = image.cmd;
  const child = spawn(command!, args, { cwd: image.workdir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const [probe, ...probeArgs] = image.healthcheck;
      const result = spawnSync(probe!, probeArgs, { env, encoding: 'utf8', timeout: 5000 });
      if (result.status === 0) break;
      if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}\n${output}`);
      if (Date.now() > deadline) throw new Error(`HEALTHCHECK still failing after 60 s\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    console.log(`  HEALTHCHECK passed: ${image.cmd.join(' ')} answers /health/live on ${port}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
  }
}

let failed = 0;
console.log(`pnpm pinned by the repository: ${packageManager()}`);
for (const app of apps) {
  const scratch = mkdtempSync(join(tmpdir(), `rehearse-${app.name}-`));
  console.log(`\n${app.dir}/Dockerfile (scratch ${scratch})`);
  try {
    const image = await rehearse(app, scratch);
    const files = readdirSync(image.workdir);
    console.log(`  runtime ${relative(image.root, image.workdir)}: ${files.join(' ')}`);
    if (start) await startAndProbe(app, image);
    rmSync(scratch, { recursive: true, force: true });
  } catch (error) {
    failed += 1;
    console.error(`  FAILED: ${(error as Error).message}`);
  }
}
console.log(`\n${apps.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
