/**
 * The one Dockerfile template all nine images are rendered from
 * (`pnpm --filter @foodxchange/deployment render`; a test checks the committed files match).
 *
 * Build stage: pnpm (via corepack, the version the root package.json pins) fetches every locked
 * package into its store from the lockfile alone, so that layer is shared by all nine images and
 * survives source changes; then installs this package and its workspace dependencies offline with
 * a frozen lockfile (with devDependencies, and the workspace root's TypeScript, for the build),
 * compiles them with tsc (each package's `build`: `tsc -p tsconfig.build.json`, to dist/ with
 * source maps), and `pnpm deploy`s the package: its `files` (dist) plus its production
 * dependencies, the workspace packages copied in with their own dist. Runtime stage: node 20 slim,
 * that copy, the non-root `node` user, and plain node running the compiled JavaScript.
 */
import type { AppInfo } from './platform.js';

export const NODE_IMAGE = 'node:20-bookworm-slim';
/** Where the app sits in the image: the repository's layout (`/app/services/order`). */
export const APP_ROOT = '/app';
/** The workspace root's package name: its devDependencies hold TypeScript for the build stage. */
export const ROOT_PACKAGE = 'foodxchange';
/** The web console's package: its `vite build` (web/dist) goes into the gateway's image. */
export const WEB_PACKAGE = '@foodxchange/web';
/**
 * Where the console's files sit in the gateway's image: the repository's layout again, so the
 * gateway's default (its package's ../web/dist) finds them; WEB_ROOT says so explicitly.
 */
export const WEB_ROOT_IN_IMAGE = `${APP_ROOT}/web/dist`;
/**
 * How every image starts its process (exec form, so node itself receives SIGTERM and drains).
 * `--no-memory-reducer` (a V8 flag, `node --v8-options`): at rest V8's memory reducer ran a full
 * garbage collection about every 20 s in most services, to return a few MiB; measured here that
 * was over half of what such a service costs at rest (user 8.7 → 2.5 ms/s of CPU). The heap still
 * shrinks after any full collection that allocation triggers; only the idle-time ones stop.
 */
export const RUNTIME_COMMAND = ['node', '--enable-source-maps', '--no-memory-reducer', 'dist/server.js'] as const;

export interface TemplateInput {
  app: Pick<AppInfo, 'name' | 'kind' | 'dir' | 'packageName' | 'port'>;
  /** The app's package.json version (image label). */
  version: string;
  /** `pnpm@9.15.9`. */
  packageManager: string;
}

/** Compose service that builds this image (the first gateway replica for the gateway). */
export function composeServiceOf(app: Pick<AppInfo, 'name' | 'kind'>): string {
  return app.kind === 'gateway' ? 'gateway-1' : app.name;
}

function dockerString(value: string): string {
  return `"${value.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}

/** The locked store and the build context: the start of the build stage and the gateway's web stage alike. */
function sourcesStage(name: string, packageManager: string): string {
  return `FROM ${NODE_IMAGE} AS ${name}
ENV PNPM_HOME=/pnpm \\
    npm_config_store_dir=/pnpm/store \\
    COREPACK_ENABLE_DOWNLOAD_PROMPT=0 \\
    CI=true
RUN corepack enable pnpm && corepack prepare ${packageManager} --activate
WORKDIR /repo
# Every locked package into pnpm's store, from the lockfile alone: this layer is the same for all
# nine images and is reused until the lockfile changes. The patches pnpm applies to locked packages
# (package.json's pnpm.patchedDependencies) must be there too, or pnpm refuses to fetch.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY patches ./patches
RUN pnpm fetch
COPY . .
`;
}

/**
 * The gateway's image also carries the web console it serves at / (its plugins/web.ts): a stage
 * of its own builds it (the same first layers as the build stage, so built once, and in parallel
 * with the gateway), the runtime stage copies its static files. Only the gateway has these parts;
 * the test comparing the nine images takes them out before comparing.
 */
export function webConsoleParts(packageManager: string): { stage: string; env: string; copy: string } {
  return {
    stage: `
# ---- web: the web console (${WEB_PACKAGE}), built by vite into web/dist, served by the gateway at / ----
${sourcesStage('web', packageManager)}# The console and its workspace dependencies, offline, exactly as locked, with the devDependencies
# its build needs (vite).
RUN pnpm install --offline --frozen-lockfile --filter ${dockerString(`${WEB_PACKAGE}...`)} --filter ${dockerString(ROOT_PACKAGE)}
# Its workspace dependencies first (their dist), then index.html and the hashed assets/.
RUN pnpm --filter ${dockerString(`${WEB_PACKAGE}...`)} run build
`,
    env: ` \\
    WEB_ROOT=${WEB_ROOT_IN_IMAGE}`,
    copy: `# The console's static files, where WEB_ROOT says (the repository's layout: beside the gateway).
COPY --from=web /repo/web/dist ${WEB_ROOT_IN_IMAGE}
`,
  };
}

export function renderDockerfile({ app, version, packageManager }: TemplateInput): string {
  const web = app.kind === 'gateway' ? webConsoleParts(packageManager) : { stage: '', env: '', copy: '' };
  const workdir = `${APP_ROOT}/${app.dir}`;
  const what = app.kind === 'gateway' ? 'API gateway' : `${app.name} service`;
  const healthScript =
    "fetch('http://127.0.0.1:' + process.env.PORT + '/health/live')" +
    '.then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))';
  return `# ${app.packageName}: container image. The build context is the repository root:
#   docker compose build ${composeServiceOf(app)}    or    docker build -f ${app.dir}/Dockerfile .
# Rendered from packages/deployment/src/template.ts (the same for all nine images): change the
# template, then run \`pnpm --filter @foodxchange/deployment render\`.

# ---- build: locked dependencies, the compiled build, then this package alone for production ----
${sourcesStage('build', packageManager)}# This package and the workspace packages it depends on, offline, exactly as locked; with their
# devDependencies and the workspace root's (TypeScript), which the build needs.
RUN pnpm install --offline --frozen-lockfile --filter ${dockerString(`${app.packageName}...`)} --filter ${dockerString(ROOT_PACKAGE)}
# JavaScript with source maps in each package's dist/, dependencies first (tsc type-checks too).
RUN pnpm --filter ${dockerString(`${app.packageName}...`)} run build
# A self-contained copy in /out: the package's files (dist) and its production node_modules, with
# the workspace packages (their dist) copied in rather than linked.
RUN pnpm --filter ${dockerString(app.packageName)} --prod --offline deploy /out
${web.stage}
# ---- runtime: node 20 and the deployed package, run as the unprivileged node user ----
FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title=${dockerString(`foodxchange-${app.name}`)} \\
      org.opencontainers.image.description=${dockerString(`FoodXchange ${what} (${app.packageName})`)} \\
      org.opencontainers.image.version=${dockerString(version)} \\
      org.opencontainers.image.vendor="FoodXchange"
ENV NODE_ENV=production \\
    HOST=0.0.0.0 \\
    PORT=${app.port}${web.env}
WORKDIR ${workdir}
COPY --from=build /out ./
${web.copy}USER node
EXPOSE ${app.port}
# Liveness with node's own fetch (the slim image has no curl).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \\
  CMD ["node", "-e", ${JSON.stringify(healthScript)}]
# The compiled build; stack traces name the TypeScript lines through the source maps.
CMD [${RUNTIME_COMMAND.map((part) => JSON.stringify(part)).join(', ')}]
`;
}
