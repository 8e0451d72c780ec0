import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { ensureDir, type CachePaths } from '../cache.js';
import { InfraError } from '../errors.js';
import { renderPom, runMaven } from '../maven.js';
import { requireJava } from '../prereqs.js';
import { runOrFail, spawnDetached } from '../process.js';
import { DEFAULT_URLS, HOST, KAFKA_SCALA_VERSION, KAFKA_VERSION, PORTS, SLF4J_RELOAD4J_VERSION } from '../versions.js';
import type { ProbeResult, ServerContext, ServerDriver } from './driver.js';

/**
 * Apache Kafka as one KRaft node (broker + controller, no ZooKeeper), from the jars Maven
 * publishes: the same classes as the release tarball, run with the machine's Java 17.
 */
export function kafkaDriver(paths: CachePaths): ServerDriver {
  const installDir = join(paths.root, `kafka-${KAFKA_VERSION}`);
  const libDir = join(installDir, 'lib');
  const completeMarker = join(installDir, '.complete');
  let javaBin: string | undefined;

  return {
    name: 'kafka',
    label: 'Kafka broker',
    port: PORTS.kafka,
    defaultUrl: DEFAULT_URLS.kafka,
    envVar: 'KAFKA_BROKERS',
    version: KAFKA_VERSION,
    processMarker: 'kafka.Kafka',
    stop: { signal: 'SIGTERM', group: true, timeoutMs: 30_000 },
    startTimeoutMs: 90_000,

    async install(ctx) {
      javaBin = (await requireJava()).javaBin;
      if (existsSync(completeMarker)) {
        return { cached: true };
      }
      const pomDir = ensureDir(join(paths.build, 'kafka'));
      writeFileSync(
        join(pomDir, 'pom.xml'),
        renderPom([
          { groupId: 'org.apache.kafka', artifactId: `kafka_${KAFKA_SCALA_VERSION}`, version: KAFKA_VERSION },
          // Kafka logs through slf4j; the release tarball ships this binding, Maven does not.
          { groupId: 'org.slf4j', artifactId: 'slf4j-reload4j', version: SLF4J_RELOAD4J_VERSION },
        ]),
      );
      const partial = `${libDir}.partial`;
      rmSync(partial, { recursive: true, force: true });
      ctx.log(`kafka: downloading Kafka ${KAFKA_VERSION} jars with Maven...`);
      await runMaven(`Maven download of Kafka ${KAFKA_VERSION}`, ['dependency:copy-dependencies', `-DoutputDirectory=${partial}`], pomDir);
      rmSync(libDir, { recursive: true, force: true });
      renameSync(partial, libDir);
      writeFileSync(completeMarker, `${new Date().toISOString()}\n`);
      return { cached: false };
    },

    async start(ctx) {
      if (!javaBin) {
        throw new InfraError('Kafka was not installed before starting it.');
      }
      const dataDir = ensureDir(join(ctx.runDir, 'data'));
      const propertiesFile = join(ctx.runDir, 'server.properties');
      const log4jFile = join(ctx.runDir, 'log4j.properties');
      writeFileSync(propertiesFile, renderKafkaServerProperties(dataDir));
      writeFileSync(log4jFile, renderKafkaLog4j());
      const classpath = `${libDir}/*`;
      await formatStorageOnce(javaBin, classpath, ctx, propertiesFile, dataDir);
      return spawnDetached({
        command: javaBin,
        args: [
          '-Xms512m',
          '-Xmx512m',
          // A 512 MiB heap on 2 cores: the serial collector's young pauses are short, and it keeps
          // none of G1's concurrent refinement and marking threads busy at rest.
          '-XX:+UseSerialGC',
          '-Djava.awt.headless=true',
          `-Dlog4j.configuration=file:${log4jFile}`,
          '-cp',
          classpath,
          'kafka.Kafka',
          propertiesFile,
        ],
        cwd: ctx.runDir,
        logFile: ctx.logFile,
        pidFile: ctx.pidFile,
      });
    },

    probe: probeKafka,

    async afterReady() {
      await warmGroupCoordinator(`${HOST}:${PORTS.kafka}`);
    },
  };
}

/**
 * The first consumer group on a fresh broker makes it create __consumer_offsets, and until its
 * partitions are loaded every group call answers "coordinator is loading / not available".
 * Doing that once here means the first test's consumer joins at once instead of retrying.
 */
async function warmGroupCoordinator(brokers: string): Promise<void> {
  const kafka = new Kafka({
    clientId: 'foodxchange-infra-warmup',
    brokers: [brokers],
    retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1_000 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.describeGroups(['foodxchange-infra-warmup']);
  } catch (error) {
    throw new InfraError(`Kafka answers but its group coordinator did not become ready: ${(error as Error).message}.`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** KRaft needs its log dir formatted with a cluster id once; the id is kept next to it. */
async function formatStorageOnce(javaBin: string, classpath: string, ctx: ServerContext, propertiesFile: string, dataDir: string): Promise<void> {
  if (existsSync(join(dataDir, 'meta.properties'))) {
    return;
  }
  const clusterIdFile = join(ctx.runDir, 'cluster-id');
  const clusterId = existsSync(clusterIdFile) ? readFileSync(clusterIdFile, 'utf8').trim() : newKafkaClusterId();
  writeFileSync(clusterIdFile, `${clusterId}\n`);
  await runOrFail('Kafka storage format', javaBin, ['-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propertiesFile, '--ignore-formatted'], {
    cwd: ctx.runDir,
  });
}

/** A Kafka cluster id is 16 random bytes in unpadded base64url (what `random-uuid` prints). */
export function newKafkaClusterId(): string {
  return randomBytes(16).toString('base64url');
}

export function renderKafkaServerProperties(dataDir: string): string {
  const settings: [string, string | number | boolean][] = [
    ['process.roles', 'broker,controller'],
    ['node.id', 1],
    ['controller.quorum.voters', `1@${HOST}:${PORTS.kafkaController}`],
    ['listeners', `PLAINTEXT://${HOST}:${PORTS.kafka},CONTROLLER://${HOST}:${PORTS.kafkaController}`],
    ['advertised.listeners', `PLAINTEXT://${HOST}:${PORTS.kafka}`],
    ['listener.security.protocol.map', 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT'],
    ['controller.listener.names', 'CONTROLLER'],
    ['inter.broker.listener.name', 'PLAINTEXT'],
    ['log.dirs', dataDir],
    // Topics are created explicitly by each service's admin step: a typo must not make a topic.
    ['auto.create.topics.enable', false],
    ['num.partitions', 3],
    ['default.replication.factor', 1],
    ['offsets.topic.replication.factor', 1],
    // The default 50 partitions make the first consumer group join noticeably slower.
    ['offsets.topic.num.partitions', 10],
    ['transaction.state.log.replication.factor', 1],
    ['transaction.state.log.min.isr', 1],
    // Default 3 s: every test's consumer group would wait that long before its first message.
    ['group.initial.rebalance.delay.ms', 0],
    ['log.retention.hours', 24],
    // What a broker costs at rest (measured alone, 60 s after start: 24.1 -> 16.5 ms/s of CPU with
    // these and the serial collector). The controller appends a no-op record to the metadata log
    // every 500 ms by default, so brokers can tell a live controller from a stale one; one node is
    // its own controller, and every 5 s is plenty.
    ['metadata.max.idle.interval.ms', 5000],
    // 8 request handlers and 3 network threads by default, each waking every 300 ms to poll its
    // queue; this machine has 2 cores, so more threads than 4 and 2 add wake-ups, not throughput.
    ['num.io.threads', 4],
    ['num.network.threads', 2],
  ];
  return `# Written by the FoodXchange infra launcher on every start: edit versions.ts/kafka.ts instead.\n${settings
    .map(([key, value]) => `${key}=${String(value)}`)
    .join('\n')}\n`;
}

/** WARN and above to stdout, which the launcher appends to run/kafka/kafka.log. */
export function renderKafkaLog4j(): string {
  return [
    'log4j.rootLogger=WARN, stdout',
    'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
    'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
    // Kafka's "started" line is INFO; keep it so the log shows when the broker came up.
    'log4j.logger.kafka.server.KafkaRaftServer=INFO',
    '',
  ].join('\n');
}

/** kafkajs admin `listTopics()`: a real metadata round-trip through the broker. */
export async function probeKafka(brokers: string): Promise<ProbeResult> {
  const kafka = new Kafka({
    clientId: 'foodxchange-infra-probe',
    brokers: brokers.split(',').map((broker) => broker.trim()).filter(Boolean),
    connectionTimeout: 2_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
