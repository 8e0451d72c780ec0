import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, foreignUserRoot, isRoot, isTraversableByOthers, type CachePaths } from '../cache.js';
import { InfraError } from '../errors.js';
import { runMaven } from '../maven.js';
import { requireJava } from '../prereqs.js';
import { runOrFail, spawnDetached, userIds, which } from '../process.js';
import { DEFAULT_URLS, ELASTICSEARCH_OS_USER, ELASTICSEARCH_VERSION, HOST, PORTS, SYSTEM_DATA_ROOT } from '../versions.js';
import type { ProbeResult, ServerDriver } from './driver.js';

const ARTIFACT = `org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ELASTICSEARCH_VERSION}:zip`;

interface ElasticsearchLayout {
  /** The unpacked distribution (ES_HOME). */
  home: string;
  /** ES_PATH_CONF: a copy of the distribution's config with our elasticsearch.yml. */
  config: string;
  data: string;
  logs: string;
}

/**
 * Where ES lives. ES refuses to run as root, so root runs it as ELASTICSEARCH_OS_USER, which
 * must read ES_HOME and own config, data and logs: when the cache sits in root's 0700 home
 * they all go to /var/lib/foodxchange/elasticsearch instead (owned by that user).
 */
export function elasticsearchLayout(paths: CachePaths): ElasticsearchLayout {
  const stateRoot = foreignUserRoot(paths, 'elasticsearch');
  const installParent = isRoot() && !isTraversableByOthers(paths.root) ? stateRoot : paths.root;
  return {
    home: join(installParent, `elasticsearch-${ELASTICSEARCH_VERSION}`),
    config: join(stateRoot, 'config'),
    data: join(stateRoot, 'data'),
    logs: join(stateRoot, 'logs'),
  };
}

/**
 * Elasticsearch 8.19 single node from the `integ-test-zip` distribution that Maven publishes:
 * the server core plus x-pack-core/security (switched off), without the default distribution's
 * modules (no analysis-common, no painless, no reindex, no ingest-geoip).
 */
export function elasticsearchDriver(paths: CachePaths): ServerDriver {
  const layout = elasticsearchLayout(paths);
  const completeMarker = join(layout.home, '.foodxchange-complete');
  let javaHome: string | undefined;
  let runAs: { uid: number; gid: number; home: string } | undefined;

  return {
    name: 'elasticsearch',
    label: 'Elasticsearch node',
    port: PORTS.elasticsearch,
    defaultUrl: DEFAULT_URLS.elasticsearch,
    envVar: 'ELASTICSEARCH_URL',
    version: ELASTICSEARCH_VERSION,
    processMarker: layout.home,
    stop: { signal: 'SIGTERM', group: true, timeoutMs: 30_000 },
    startTimeoutMs: 180_000,

    async install(ctx) {
      javaHome = (await requireJava()).javaHome;
      if (isRoot()) {
        runAs = await ensureElasticsearchUser();
      }
      if (existsSync(completeMarker)) {
        return { cached: true };
      }
      const zip = join(paths.build, `elasticsearch-${ELASTICSEARCH_VERSION}.zip`);
      if (!existsSync(zip)) {
        ctx.log(`elasticsearch: downloading ${ELASTICSEARCH_VERSION} (integ-test-zip, 107 MB) with Maven...`);
        await runMaven(`Maven download of Elasticsearch ${ELASTICSEARCH_VERSION}`, ['dependency:copy', `-Dartifact=${ARTIFACT}`, `-DoutputDirectory=${paths.build}`], ensureDir(paths.build));
      }
      const unpackDir = `${layout.home}.partial`;
      rmSync(unpackDir, { recursive: true, force: true });
      mkdirSync(unpackDir, { recursive: true });
      await unzip(zip, unpackDir);
      const unpackedHome = join(unpackDir, `elasticsearch-${ELASTICSEARCH_VERSION}`);
      if (!existsSync(join(unpackedHome, 'bin', 'elasticsearch'))) {
        throw new InfraError(`The Elasticsearch zip ${zip} has no elasticsearch-${ELASTICSEARCH_VERSION}/bin/elasticsearch: delete it and retry.`);
      }
      // Not every unzipper keeps the executable bits.
      for (const script of readdirSync(join(unpackedHome, 'bin'))) {
        chmodSync(join(unpackedHome, 'bin', script), 0o755);
      }
      rmSync(layout.home, { recursive: true, force: true });
      renameSync(unpackedHome, layout.home);
      rmSync(unpackDir, { recursive: true, force: true });
      // Maven's local repository keeps a copy; this one would only take 107 MB more.
      rmSync(zip, { force: true });
      if (runAs) {
        await runOrFail('chown of the Elasticsearch install', 'chown', ['-R', `${runAs.uid}:${runAs.gid}`, layout.home]);
      }
      writeFileSync(completeMarker, `${new Date().toISOString()}\n`);
      return { cached: false };
    },

    async start(ctx) {
      if (!javaHome) {
        throw new InfraError('Elasticsearch was not installed before starting it.');
      }
      prepareConfig(layout);
      if (runAs) {
        for (const dir of [layout.config, layout.data, layout.logs]) {
          await runOrFail(`chown of ${dir}`, 'chown', ['-R', `${runAs.uid}:${runAs.gid}`, dir]);
        }
      }
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        ES_JAVA_HOME: javaHome,
        ES_PATH_CONF: layout.config,
        ES_JAVA_OPTS: '-Xms512m -Xmx512m',
      };
      // JAVA_HOME would win over nothing here, but a stray one pointing at an old JDK confuses ES.
      delete env.JAVA_HOME;
      if (runAs) {
        Object.assign(env, { HOME: runAs.home, USER: ELASTICSEARCH_OS_USER, LOGNAME: ELASTICSEARCH_OS_USER });
      }
      return spawnDetached({
        command: join(layout.home, 'bin', 'elasticsearch'),
        args: [],
        cwd: layout.home,
        env,
        logFile: ctx.logFile,
        pidFile: ctx.pidFile,
        ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
      });
    },

    probe: probeElasticsearch,
  };
}

function prepareConfig(layout: ElasticsearchLayout): void {
  ensureDir(layout.data);
  ensureDir(layout.logs);
  if (!existsSync(join(layout.config, 'jvm.options'))) {
    ensureDir(layout.config);
    cpSync(join(layout.home, 'config'), layout.config, { recursive: true });
  }
  const modules = readdirSync(join(layout.home, 'modules'));
  writeFileSync(join(layout.config, 'elasticsearch.yml'), renderElasticsearchYml({ dataDir: layout.data, logsDir: layout.logs, modules }));
}

/**
 * elasticsearch.yml for one local node. Settings owned by a module are written only when that
 * module is in the distribution: ES rejects unknown settings and refuses to start.
 */
export function renderElasticsearchYml(options: { dataDir: string; logsDir: string; modules: string[] }): string {
  const lines = [
    '# Written by the FoodXchange infra launcher on every start: edit infra/src/servers/elasticsearch.ts instead.',
    'cluster.name: foodxchange-local',
    'node.name: local',
    'discovery.type: single-node',
    `network.host: ${HOST}`,
    `http.port: ${PORTS.elasticsearch}`,
    `transport.port: ${PORTS.elasticsearchTransport}`,
    `path.data: ${options.dataDir}`,
    `path.logs: ${options.logsDir}`,
    // A nearly full dev disk must not turn every index read-only in the middle of a test run.
    'cluster.routing.allocation.disk.threshold_enabled: false',
    // Tests delete indices by pattern.
    'action.destructive_requires_name: false',
  ];
  if (options.modules.includes('x-pack-security')) {
    // Local plain HTTP without users, like the docker-compose setup.
    lines.push('xpack.security.enabled: false');
  }
  if (options.modules.includes('ingest-geoip')) {
    // It downloads GeoIP databases from the internet at start-up.
    lines.push('ingest.geoip.downloader.enabled: false');
  }
  if (options.modules.includes('x-pack-ml')) {
    lines.push('xpack.ml.enabled: false');
  }
  return `${lines.join('\n')}\n`;
}

/** A system user for ES (it refuses root). Its home is where root keeps ES's files. */
async function ensureElasticsearchUser(): Promise<{ uid: number; gid: number; home: string }> {
  const existing = await userIds(ELASTICSEARCH_OS_USER);
  if (existing) {
    return existing;
  }
  const useradd = which('useradd', ['/usr/sbin', '/sbin']);
  if (!useradd) {
    throw new InfraError(`Elasticsearch refuses to run as root and useradd is missing to create the "${ELASTICSEARCH_OS_USER}" user: install passwd or run as a normal user.`);
  }
  const home = join(SYSTEM_DATA_ROOT, 'elasticsearch');
  ensureDir(SYSTEM_DATA_ROOT);
  await runOrFail(`useradd ${ELASTICSEARCH_OS_USER}`, useradd, [
    '--system',
    '--user-group',
    '--home-dir',
    home,
    '--create-home',
    '--shell',
    '/usr/sbin/nologin',
    '--comment',
    'FoodXchange local Elasticsearch',
    ELASTICSEARCH_OS_USER,
  ]);
  const created = await userIds(ELASTICSEARCH_OS_USER);
  if (!created) {
    throw new InfraError(`useradd did not create the "${ELASTICSEARCH_OS_USER}" user.`);
  }
  return created;
}

/** unzip if present, else the JDK's `jar`, else Python's zipfile module. */
async function unzip(zip: string, targetDir: string): Promise<void> {
  const unzipBin = which('unzip');
  if (unzipBin) {
    await runOrFail('unzip of Elasticsearch', unzipBin, ['-q', '-o', zip, '-d', targetDir]);
    return;
  }
  const jar = which('jar');
  if (jar) {
    await runOrFail('jar xf of Elasticsearch', jar, ['xf', zip], { cwd: targetDir });
    return;
  }
  const python = which('python3');
  if (python) {
    await runOrFail('python3 -m zipfile of Elasticsearch', python, ['-m', 'zipfile', '-e', zip, targetDir]);
    return;
  }
  throw new InfraError('Unpacking Elasticsearch needs unzip: install unzip.');
}

/**
 * Cluster health (waiting briefly for yellow) plus the node's version. `GET /` answers 405 on
 * this distribution, so the client's ping()/info() cannot be used for this.
 */
export async function probeElasticsearch(url: string): Promise<ProbeResult> {
  const parsed = new URL(url);
  const headers: Record<string, string> = {};
  if (parsed.username || parsed.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')}`;
    parsed.username = '';
    parsed.password = '';
  }
  const base = parsed.toString().replace(/\/$/, '');
  try {
    const health = await fetch(`${base}/_cluster/health?wait_for_status=yellow&timeout=2s`, { headers, signal: AbortSignal.timeout(5_000) });
    if (!health.ok) {
      return { ok: false, reason: `cluster health answered HTTP ${health.status}` };
    }
    const body = (await health.json()) as { status?: string; timed_out?: boolean };
    if (body.timed_out || (body.status !== 'yellow' && body.status !== 'green')) {
      return { ok: false, reason: `cluster status is ${body.status ?? 'unknown'}` };
    }
    const nodes = await fetch(`${base}/_nodes/_local?filter_path=nodes.*.version`, { headers, signal: AbortSignal.timeout(5_000) });
    const nodesBody = nodes.ok ? ((await nodes.json()) as { nodes?: Record<string, { version?: string }> }) : {};
    const version = Object.values(nodesBody.nodes ?? {})[0]?.version;
    return version ? { ok: true, version } : { ok: true };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { ok: false, reason: cause ?? (error as Error).message };
  }
}
