/**
 * Dockerfile lint: the rules every FoodXchange image keeps, checked on the parsed file
 * (dockerfile-ast) plus the syntax diagnostics of dockerfile-utils' validator.
 */
import { createRequire } from 'node:module';
import type { Dockerfile, Instruction } from 'dockerfile-ast';
import { RUNTIME_COMMAND } from './template.js';

// Both are CommonJS; require() gives their exports the same way under every loader.
const require = createRequire(import.meta.url);
const { DockerfileParser } = require('dockerfile-ast') as typeof import('dockerfile-ast');
const dockerfileUtils = require('dockerfile-utils') as typeof import('dockerfile-utils');

export interface DockerfileExpectation {
  /** `@foodxchange/order`: the package the image builds. */
  packageName: string;
  /** The port the service listens on (EXPOSE, ENV PORT). */
  port: number;
  /** `pnpm@9.15.9`, the root package.json's packageManager. */
  packageManager?: string;
}

export interface Stage {
  name: string | null;
  image: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): Dockerfile {
  return DockerfileParser.parse(text);
}

/** Instructions grouped by build stage, in order (instructions before the first FROM dropped). */
export function stagesOf(dockerfile: Dockerfile): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === 'FROM') {
      const from = instruction as unknown as { getImage(): string | null; getBuildStage(): string | null };
      stages.push({ name: from.getBuildStage(), image: from.getImage() ?? '', instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

function args(instruction: Instruction): string[] {
  return instruction.getArguments().map((arg) => arg.getValue());
}

/** JSON (exec) form arguments, or null for the shell form. */
function execForm(instruction: Instruction): string[] | null {
  const json = instruction.getArgumentsContent()?.trim() ?? '';
  if (!json.startsWith('[')) return null;
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed) && parsed.every((part) => typeof part === 'string') ? parsed : null;
  } catch {
    return null;
  }
}

/** `KEY=value` pairs of ENV or LABEL instructions (the `KEY value` legacy form too). */
function keyValues(instructions: Instruction[], keyword: 'ENV' | 'LABEL'): Map<string, string> {
  const out = new Map<string, string>();
  for (const instruction of instructions.filter((i) => i.getKeyword() === keyword)) {
    const properties = (instruction as unknown as { getProperties(): { getName(): string; getValue(): string | null }[] })
      .getProperties();
    for (const property of properties) out.set(property.getName().replace(/^"|"$/g, ''), (property.getValue() ?? '').replace(/^"|"$/g, ''));
  }
  return out;
}

/** Node 20 base images: `node:20`, `node:20-bookworm-slim`, `node:20.19.5-alpine`, with or without a digest. */
export function isNode20Image(image: string): boolean {
  return /^(docker\.io\/)?(library\/)?node:20(\.\d+){0,2}(-[a-z0-9.-]+)?(@sha256:[a-f0-9]{64})?$/.test(image);
}

function isRootUser(user: string): boolean {
  const name = user.split(':')[0]!.trim();
  return name === '' || name === 'root' || name === '0';
}

/** Returns one message per broken rule; an empty list means the Dockerfile passes. */
export function lintDockerfile(text: string, expected: DockerfileExpectation): string[] {
  const errors: string[] = [];

  for (const diagnostic of dockerfileUtils.validate(text)) {
    // LSP severities: 1 error, 2 warning.
    if (diagnostic.severity === 1) errors.push(`syntax (line ${diagnostic.range.start.line + 1}): ${diagnostic.message}`);
  }

  const dockerfile = parseDockerfile(text);
  const stages = stagesOf(dockerfile);
  if (stages.length < 2) errors.push(`multi-stage build expected: found ${stages.length} FROM`);
  for (const stage of stages) {
    if (stages.some((other) => other.name && other.name === stage.image)) continue; // FROM an earlier stage
    if (!isNode20Image(stage.image)) errors.push(`base image must be pinned to Node 20 (node:20-…): found "${stage.image}"`);
  }
  const final = stages.at(-1);
  if (!final) return errors;
  const all = stages.flatMap((stage) => stage.instructions);
  const inFinal = (keyword: string) => final.instructions.filter((i) => i.getKeyword() === keyword);

  // Runs unprivileged.
  const users = inFinal('USER');
  const lastUser = users.at(-1);
  if (!lastUser) errors.push('final stage has no USER: the container would run as root');
  else if (isRootUser(args(lastUser).join(' '))) errors.push(`final stage USER must not be root: found "${args(lastUser).join(' ')}"`);

  // Health.
  const healthchecks = inFinal('HEALTHCHECK');
  const healthcheck = healthchecks.at(-1);
  if (!healthcheck) errors.push('final stage has no HEALTHCHECK');
  else {
    const content = healthcheck.getArgumentsContent() ?? '';
    if (/^\s*NONE\b/i.test(content)) errors.push('HEALTHCHECK NONE disables the health check');
    if (!content.includes('/health/live')) errors.push('HEALTHCHECK must probe /health/live');
    if (/\b(curl|wget)\b/.test(content)) errors.push('HEALTHCHECK must not need curl or wget (not in node slim images): use node fetch');
  }

  // Port.
  const exposed = inFinal('EXPOSE').flatMap(args).map((port) => port.replace(/\/tcp$/, ''));
  if (!exposed.includes(String(expected.port))) errors.push(`EXPOSE ${expected.port} expected: found [${exposed.join(', ')}]`);
  const unexpected = exposed.filter((port) => port !== String(expected.port));
  if (unexpected.length) errors.push(`EXPOSE of ports the service does not listen on: ${unexpected.join(', ')}`);
  const env = keyValues(final.instructions, 'ENV');
  if (env.get('PORT') !== String(expected.port)) errors.push(`ENV PORT=${expected.port} expected: found ${env.get('PORT') ?? 'none'}`);
  if (env.get('HOST') !== '0.0.0.0') errors.push(`ENV HOST=0.0.0.0 expected (listen on all interfaces): found ${env.get('HOST') ?? 'none'}`);
  if (env.get('NODE_ENV') !== 'production') errors.push(`ENV NODE_ENV=production expected: found ${env.get('NODE_ENV') ?? 'none'}`);

  // Reproducible install from the lockfile.
  const runs = all.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent() ?? '');
  const copiesLockfile = all.some((i) => ['COPY', 'ADD'].includes(i.getKeyword()) && args(i).includes('pnpm-lock.yaml'));
  if (!copiesLockfile) errors.push('pnpm-lock.yaml must be copied into the build stage explicitly');
  const install = runs.find((run) => /\bpnpm\b[^&;|]*\binstall\b/.test(run));
  if (!install) errors.push('no `pnpm install` in the build');
  else {
    if (!install.includes('--frozen-lockfile')) errors.push('`pnpm install` must use --frozen-lockfile');
    if (!install.includes(expected.packageName)) errors.push(`\`pnpm install\` must be filtered to ${expected.packageName}...`);
  }
  const deploy = runs.find((run) => /\bpnpm\b.*\bdeploy\b/.test(run));
  if (!deploy) errors.push('no `pnpm deploy` producing the runtime copy');
  else {
    if (!deploy.includes(expected.packageName)) errors.push(`\`pnpm deploy\` must be filtered to ${expected.packageName}`);
    if (!/--prod\b|-P\b/.test(deploy)) errors.push('`pnpm deploy` must use --prod (no devDependencies in the image)');
  }
  // The image runs compiled JavaScript: the package and the workspace packages it depends on are
  // built (their dist/) before the deploy copies them.
  const buildIndex = runs.findIndex((run) => /\bpnpm\b[^&;|]*\brun build\b/.test(run));
  if (buildIndex < 0) errors.push('no `pnpm run build` compiling the package before the deploy');
  else {
    if (!runs[buildIndex]!.includes(`${expected.packageName}...`)) {
      errors.push(`\`pnpm run build\` must be filtered to ${expected.packageName}... (the package and its workspace dependencies)`);
    }
    if (deploy && buildIndex > runs.indexOf(deploy)) errors.push('`pnpm run build` must come before `pnpm deploy`');
  }
  if (expected.packageManager && !runs.some((run) => run.includes(expected.packageManager!))) {
    errors.push(`pnpm must be pinned to ${expected.packageManager} (the root package.json's packageManager)`);
  }
  const copiesFromStage = (i: Instruction) =>
    i.getKeyword() === 'COPY' && (i as unknown as { getFlags(): { getName(): string }[] }).getFlags().some((flag) => flag.getName() === 'from');
  if (!final.instructions.some(copiesFromStage)) {
    errors.push('final stage must COPY --from the build stage');
  }

  // Start command.
  const cmd = inFinal('CMD').at(-1);
  const entrypoint = inFinal('ENTRYPOINT').at(-1);
  if (entrypoint) errors.push('no ENTRYPOINT expected: CMD starts the service');
  if (!cmd) errors.push('final stage has no CMD');
  else {
    const form = execForm(cmd);
    if (!form) errors.push('CMD must use the exec (JSON) form so node receives SIGTERM directly');
    else if (form.join(' ') !== RUNTIME_COMMAND.join(' ')) {
      errors.push(`CMD must be ${JSON.stringify(RUNTIME_COMMAND)} (the compiled build): found ${JSON.stringify(form)}`);
    }
  }

  // Image metadata.
  const labels = keyValues(final.instructions, 'LABEL');
  if (!labels.get('org.opencontainers.image.title')) errors.push('LABEL org.opencontainers.image.title missing');
  if (!labels.get('org.opencontainers.image.version')) errors.push('LABEL org.opencontainers.image.version missing');

  return errors;
}

/** HEALTHCHECK of the final stage is present and not NONE. */
export function dockerfileHasHealthcheck(text: string): boolean {
  const final = stagesOf(parseDockerfile(text)).at(-1);
  const healthcheck = final?.instructions.filter((i) => i.getKeyword() === 'HEALTHCHECK').at(-1);
  return !!healthcheck && !/^\s*NONE\b/i.test(healthcheck.getArgumentsContent() ?? '');
}

/** Labels of the final stage. */
export function dockerfileLabels(text: string): Map<string, string> {
  const final = stagesOf(parseDockerfile(text)).at(-1);
  return final ? keyValues(final.instructions, 'LABEL') : new Map();
}
