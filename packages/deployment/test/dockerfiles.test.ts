import { describe, expect, it } from 'vitest';
import {
  dockerfileLabels,
  isIgnored,
  isNode20Image,
  lintDockerfile,
  listApps,
  packageManager,
  parseDockerignore,
  readJson,
  readText,
  renderAll,
  ROOT_PACKAGE,
  renderDockerfile,
  stagesOf,
  parseDockerfile,
  WEB_PACKAGE,
  WEB_ROOT_IN_IMAGE,
  webConsoleParts,
} from '../src/index.js';

const apps = listApps();
const pm = packageManager();
const order = apps.find((app) => app.name === 'order')!;
const good = renderDockerfile({ app: order, version: '0.1.0', packageManager: pm });
const CMD = 'CMD ["node", "--enable-source-maps", "--no-memory-reducer", "dist/server.js"]';
const lint = (text: string) => lintDockerfile(text, { packageName: order.packageName, port: order.port, packageManager: pm });

describe.each(apps.map((app) => [app.dir, app] as const))('%s', (_dir, app) => {
  const dockerfile = readText(`${app.dir}/Dockerfile`);

  it('has a Dockerfile that passes the lint', () => {
    expect(dockerfile, `${app.dir}/Dockerfile`).not.toBeNull();
    expect(lintDockerfile(dockerfile!, { packageName: app.packageName, port: app.port, packageManager: pm })).toEqual([]);
  });

  it('is the package the image builds: name, src/server.ts compiled to the dist/server.js the image runs', () => {
    expect(app.pkg, `${app.dir}/package.json`).not.toBeNull();
    expect(app.pkg!.name).toBe(app.packageName);
    expect(readText(`${app.dir}/src/server.ts`), `${app.dir}/src/server.ts`).not.toBeNull();
    expectBuildToDist(app.dir);
  });

  it('labels the image with the package version', () => {
    const labels = dockerfileLabels(dockerfile ?? '');
    expect(labels.get('org.opencontainers.image.title')).toBe(`foodxchange-${app.name}`);
    expect(labels.get('org.opencontainers.image.version')).toBe(app.pkg?.version ?? '0.1.0');
  });
});

/** `build` compiles src/ to dist/ with source maps, and `files` ships dist (what `pnpm deploy` copies). */
function expectBuildToDist(dir: string): void {
  const pkg = readJson<{ scripts?: Record<string, string>; files?: string[] }>(`${dir}/package.json`);
  expect(pkg?.scripts?.build, `${dir} build script`).toBe('tsc -p tsconfig.build.json');
  expect(pkg?.files, `${dir} files`).toContain('dist');
  const tsconfig = readJson<{ compilerOptions?: Record<string, unknown>; include?: string[] }>(`${dir}/tsconfig.build.json`);
  expect(tsconfig?.compilerOptions, `${dir}/tsconfig.build.json`).toMatchObject({ noEmit: false, rootDir: 'src', outDir: 'dist', sourceMap: true });
  expect(tsconfig?.include, `${dir}/tsconfig.build.json include`).toEqual(['src']);
}

describe('the workspace packages the images carry', () => {
  type Exports = Record<string, string | Record<string, string>>;
  it.each(['packages/contracts', 'packages/service-kit'])('%s: node gets dist, tests and tsx get src', (dir) => {
    expectBuildToDist(dir);
    const exports = readJson<{ exports?: Exports }>(`${dir}/package.json`)?.exports ?? {};
    const code = Object.entries(exports).filter(([subpath]) => !subpath.includes('*'));
    expect(code.length, `${dir} exports`).toBeGreaterThan(0);
    for (const [subpath, target] of code) {
      const name = subpath === '.' ? 'index' : subpath.slice(2);
      expect(target, `${dir} exports ${subpath}`).toEqual({
        '@foodxchange/source': `./src/${name}.ts`,
        types: `./src/${name}.ts`,
        default: `./dist/${name}.js`,
      });
    }
  });

  it('TypeScript resolves the source condition too (tsconfig.base.json customConditions)', () => {
    const base = readJson<{ compilerOptions?: { customConditions?: string[] } }>('tsconfig.base.json');
    expect(base?.compilerOptions?.customConditions).toEqual(['@foodxchange/source']);
  });
});

describe('the template', () => {
  it("copies the patches pnpm applies (package.json's pnpm.patchedDependencies) before pnpm fetch", () => {
    const patches = Object.values(readJson<{ pnpm?: { patchedDependencies?: Record<string, string> } }>('package.json')?.pnpm?.patchedDependencies ?? {});
    expect(patches.length).toBeGreaterThan(0);
    const lines = good.split('\n');
    const fetchLine = lines.indexOf('RUN pnpm fetch');
    const copied = lines.slice(0, fetchLine).filter((line) => line.startsWith('COPY ')).map((line) => line.split(/\s+/).slice(1, -1)).flat();
    for (const patch of patches) {
      expect(readText(patch), patch).not.toBeNull();
      expect(copied.some((source) => patch === source || patch.startsWith(`${source.replace(/\/$/, '')}/`)), `${patch} copied before pnpm fetch`).toBe(true);
    }
  });

  it('installs the workspace root (TypeScript for the build) by its package name', () => {
    expect(ROOT_PACKAGE).toBe(readJson<{ name?: string }>('package.json')?.name);
  });

  it('renders exactly the committed Dockerfiles (pnpm --filter @foodxchange/deployment render)', () => {
    for (const { path, content } of renderAll()) expect(readText(path), path).toBe(content);
  });

  it('differs between apps only in names, folders, ports and versions (and the console the gateway carries)', () => {
    const web = webConsoleParts(pm);
    const normalise = (text: string, app: (typeof apps)[number]) =>
      text
        .replace(web.stage, '')
        .replace(web.env, '')
        .replace(web.copy, '')
        .replace(/foodxchange-[a-z]+/, 'TITLE')
        .replace(/FoodXchange (API gateway|[a-z]+ service)/, 'WHAT')
        .replace(/docker compose build \S+/, 'COMPOSE')
        .replaceAll(app.packageName, '@PKG')
        .replaceAll(app.dir, 'DIR')
        .replaceAll(String(app.port), 'PORT');
    const shapes = new Set(renderAll().map(({ app, content }) => normalise(content, app)));
    expect(shapes.size).toBe(1);
  });

  it("builds the web console into the gateway's image only, at the WEB_ROOT it sets", () => {
    const gateway = apps.find((app) => app.kind === 'gateway')!;
    const text = renderDockerfile({ app: gateway, version: '0.1.0', packageManager: pm });
    const stages = stagesOf(parseDockerfile(text));
    expect(stages.map((stage) => stage.name)).toEqual(['build', 'web', 'runtime']);
    const web = stages[1]!.instructions.map((i) => `${i.getKeyword()} ${i.getArgumentsContent()}`);
    expect(web).toContainEqual(`RUN pnpm install --offline --frozen-lockfile --filter "${WEB_PACKAGE}..." --filter "${ROOT_PACKAGE}"`);
    expect(web).toContainEqual(`RUN pnpm --filter "${WEB_PACKAGE}..." run build`);
    const runtime = text.slice(text.indexOf('FROM node:20-bookworm-slim AS runtime')).split('\n');
    expect(runtime).toContainEqual(`COPY --from=web /repo/web/dist ${WEB_ROOT_IN_IMAGE}`);
    expect(text).toContain(`WEB_ROOT=${WEB_ROOT_IN_IMAGE}`);
    // The gateway's own default finds it there too: its package's ../web/dist (/app/gateway/../web/dist).
    expect(WEB_ROOT_IN_IMAGE).toBe('/app/web/dist');
    expect(readText('gateway/src/upstreams.ts')).toContain("'../web/dist'");
    // The console's build script is vite's, writing web/dist (checked once the package exists).
    const webPkg = readJson<{ name?: string; scripts?: Record<string, string> }>('web/package.json');
    if (webPkg) {
      expect(webPkg.name).toBe(WEB_PACKAGE);
      expect(webPkg.scripts?.build).toMatch(/\bvite build\b/);
    }
    for (const app of apps.filter((a) => a.kind !== 'gateway')) {
      const other = renderDockerfile({ app, version: '0.1.0', packageManager: pm });
      expect(other, app.name).not.toContain(WEB_PACKAGE);
      expect(other, app.name).not.toContain('WEB_ROOT');
    }
  });

  it('pins pnpm to the root packageManager and node to 20', () => {
    expect(pm).toMatch(/^pnpm@9\.15\.\d+$/);
    expect(good).toContain(`corepack prepare ${pm} --activate`);
    expect(stagesOf(parseDockerfile(good)).map((stage) => stage.image)).toEqual(['node:20-bookworm-slim', 'node:20-bookworm-slim']);
  });
});

describe('the lint catches broken Dockerfiles', () => {
  it('accepts the template (baseline for the mutations)', () => {
    expect(lint(good)).toEqual([]);
  });

  it('a single-stage build', () => {
    const single = good.slice(good.indexOf('FROM node:20-bookworm-slim AS runtime'));
    expect(lint(single)).toContainEqual('multi-stage build expected: found 1 FROM');
  });

  it('no USER, or USER root', () => {
    expect(lint(good.replace('USER node\n', ''))).toContainEqual('final stage has no USER: the container would run as root');
    expect(lint(good.replace('USER node\n', 'USER root\n'))).toContainEqual('final stage USER must not be root: found "root"');
    expect(lint(good.replace('USER node\n', 'USER 0:0\n'))).toContainEqual('final stage USER must not be root: found "0:0"');
  });

  it('a USER only in the build stage', () => {
    const text = good.replace('USER node\n', '').replace('WORKDIR /repo\n', 'WORKDIR /repo\nUSER node\n');
    expect(lint(text)).toContainEqual('final stage has no USER: the container would run as root');
  });

  it('no HEALTHCHECK, HEALTHCHECK NONE, or a curl probe', () => {
    const start = good.indexOf('HEALTHCHECK');
    const end = good.indexOf(CMD);
    const without = good.slice(0, start) + good.slice(end);
    expect(lint(without)).toContainEqual('final stage has no HEALTHCHECK');
    expect(lint(without.replace(CMD, `HEALTHCHECK NONE\n${CMD}`))).toContainEqual('HEALTHCHECK NONE disables the health check');
    const curl = without.replace(CMD, `HEALTHCHECK CMD curl -f http://localhost:3006/health/live\n${CMD}`);
    expect(lint(curl)).toContainEqual(expect.stringMatching(/must not need curl/));
  });

  it('EXPOSE or PORT off the service port', () => {
    const errors = lint(good.replace('EXPOSE 3006', 'EXPOSE 3000').replace('PORT=3006', 'PORT=3000'));
    expect(errors).toContainEqual('EXPOSE 3006 expected: found [3000]');
    expect(errors).toContainEqual('ENV PORT=3006 expected: found 3000');
  });

  it('an install that may change the lockfile, or no lockfile copied', () => {
    expect(lint(good.replace('install --offline --frozen-lockfile', 'install --offline'))).toContainEqual('`pnpm install` must use --frozen-lockfile');
    expect(lint(good.replace('COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./', 'COPY package.json pnpm-workspace.yaml ./'))).toContainEqual(
      'pnpm-lock.yaml must be copied into the build stage explicitly',
    );
  });

  it('a deploy with devDependencies or of another package', () => {
    const errors = lint(good.replace('--filter "@foodxchange/order" --prod --offline deploy', '--filter "@foodxchange/rfq" --offline deploy'));
    expect(errors).toContainEqual('`pnpm deploy` must be filtered to @foodxchange/order');
    expect(errors).toContainEqual('`pnpm deploy` must use --prod (no devDependencies in the image)');
  });

  it('a base image that is not Node 20', () => {
    expect(lint(good.replace('FROM node:20-bookworm-slim AS runtime', 'FROM node:22-bookworm-slim AS runtime'))).toContainEqual(
      'base image must be pinned to Node 20 (node:20-…): found "node:22-bookworm-slim"',
    );
    expect(lint(good.replace('FROM node:20-bookworm-slim AS build', 'FROM node AS build'))).toContainEqual(
      'base image must be pinned to Node 20 (node:20-…): found "node"',
    );
  });

  it('a shell-form CMD or another entry point', () => {
    expect(lint(good.replace(CMD, 'CMD node --enable-source-maps --no-memory-reducer dist/server.js'))).toContainEqual(
      'CMD must use the exec (JSON) form so node receives SIGTERM directly',
    );
    expect(lint(good.replace(CMD, 'CMD ["npx", "tsx", "src/server.ts"]'))).toContainEqual(
      expect.stringMatching(/^CMD must be \["node","--enable-source-maps","--no-memory-reducer","dist\/server.js"\]/),
    );
  });

  it('TypeScript run at start instead of the compiled build', () => {
    expect(lint(good.replace(CMD, 'CMD ["node", "--import", "tsx", "src/server.ts"]'))).toContainEqual(
      expect.stringMatching(/^CMD must be \["node","--enable-source-maps","--no-memory-reducer","dist\/server.js"\] \(the compiled build\)/),
    );
  });

  it('no build before the deploy, a build of another package, or one after the deploy', () => {
    const build = 'RUN pnpm --filter "@foodxchange/order..." run build\n';
    expect(good).toContain(build);
    expect(lint(good.replace(build, ''))).toContainEqual('no `pnpm run build` compiling the package before the deploy');
    expect(lint(good.replace(build, 'RUN pnpm --filter "@foodxchange/rfq..." run build\n'))).toContainEqual(
      '`pnpm run build` must be filtered to @foodxchange/order... (the package and its workspace dependencies)',
    );
    const deploy = good.match(/RUN pnpm [^\n]* deploy \/out\n/)![0];
    expect(lint(good.replace(build, '').replace(deploy, `${deploy}${build}`))).toContainEqual('`pnpm run build` must come before `pnpm deploy`');
  });

  it('syntax errors reported by the Dockerfile validator', () => {
    expect(lint(good.replace('EXPOSE 3006', 'EXPOSE 3006\nCOPYY . .')).join('\n')).toMatch(/syntax \(line \d+\)/);
  });

  it('knows which images are Node 20', () => {
    for (const image of ['node:20', 'node:20-bookworm-slim', 'node:20.19.5-alpine3.22', `node:20-slim@sha256:${'a'.repeat(64)}`]) {
      expect(isNode20Image(image), image).toBe(true);
    }
    for (const image of ['node', 'node:latest', 'node:lts-slim', 'node:22-slim', 'node:200', 'nodejs:20']) expect(isNode20Image(image), image).toBe(false);
  });
});

describe('.dockerignore', () => {
  const rules = parseDockerignore(readText('.dockerignore') ?? '');

  it('keeps local state, dependencies and secrets out of the build context', () => {
    for (const path of [
      'node_modules/fastify/package.json',
      'services/order/node_modules/.bin/tsx',
      '.git/HEAD',
      '.run/logs/order.log',
      'services/order/dist/server.js',
      'coverage/index.html',
      'packages/service-kit/coverage/lcov.info',
      'logs/app.log',
      '.env',
      'services/auth/.env.local',
      // A local build of the console: the image builds its own.
      'web/dist/index.html',
      'web/node_modules/vite/package.json',
    ]) {
      expect(isIgnored(rules, path), path).toBe(true);
    }
  });

  it('sends everything the build needs', () => {
    for (const path of [
      'package.json',
      'pnpm-lock.yaml',
      'pnpm-workspace.yaml',
      'tsconfig.base.json',
      'services/order/package.json',
      'services/order/src/server.ts',
      'services/order/tsconfig.json',
      'gateway/src/server.ts',
      'packages/service-kit/src/index.ts',
      'packages/contracts/schemas/envelope.json',
      'infra/package.json',
      'e2e/package.json',
      // The console the gateway's image builds.
      'web/package.json',
      'web/index.html',
      'web/vite.config.ts',
      'web/tsconfig.json',
      'web/src/main.tsx',
      'web/public/favicon.svg',
    ]) {
      expect(isIgnored(rules, path), path).toBe(false);
    }
  });

  it('matches like Docker does (directories, **, negation)', () => {
    const sample = parseDockerignore('**/node_modules\n*.md\n!README.md\n/dist\n');
    expect(isIgnored(sample, 'a/b/node_modules/x')).toBe(true);
    expect(isIgnored(sample, 'node_modules')).toBe(true);
    expect(isIgnored(sample, 'CHANGELOG.md')).toBe(true);
    expect(isIgnored(sample, 'README.md')).toBe(false);
    expect(isIgnored(sample, 'docs/guide.md')).toBe(false);
    expect(isIgnored(sample, 'dist/app.js')).toBe(true);
    expect(isIgnored(sample, 'src/dist.ts')).toBe(false);
  });
});
