import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheRoot, isTraversableByOthers } from '../src/cache.js';
import { InfraError } from '../src/errors.js';
import { resolveEndpoints, resolveSelection } from '../src/launcher.js';
import { withLock } from '../src/lock.js';
import { chooseJava, parseGoVersion, parseJavaMajor } from '../src/prereqs.js';
import { renderElasticsearchYml } from '../src/servers/elasticsearch.js';
import { ferretdbArgs } from '../src/servers/ferretdb.js';
import { newKafkaClusterId, renderKafkaServerProperties } from '../src/servers/kafka.js';
import { ginCompanionName } from '../src/servers/gin-companions.js';
import { postgresServerArgs } from '../src/servers/postgres.js';
import { renderPrometheusConfig } from '../src/monitoring.js';

const scratch = mkdtempSync(join(tmpdir(), 'fx-infra-unit-'));
// mkdtemp makes it 0700; the traversability test needs a world-traversable parent.
chmodSync(scratch, 0o755);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('endpoints', () => {
  it('defaults to the standard loopback ports', () => {
    expect(resolveEndpoints({})).toEqual({
      mongoUrl: 'mongodb://127.0.0.1:27017/?directConnection=true',
      kafkaBrokers: '127.0.0.1:9092',
      elasticsearchUrl: 'http://127.0.0.1:9200',
      redisUrl: 'redis://127.0.0.1:6379',
      smtpUrl: 'smtp://127.0.0.1:1025',
    });
  });

  it('takes each URL from its env var when set (empty means unset)', () => {
    const endpoints = resolveEndpoints({
      MONGO_URL: 'mongodb://db.internal:27017/?directConnection=true',
      KAFKA_BROKERS: 'k1:9092,k2:9092',
      ELASTICSEARCH_URL: '',
      REDIS_URL: 'redis://cache:6380',
      SMTP_URL: 'smtp://mail.internal:2525',
    });
    expect(endpoints.mongoUrl).toBe('mongodb://db.internal:27017/?directConnection=true');
    expect(endpoints.kafkaBrokers).toBe('k1:9092,k2:9092');
    expect(endpoints.elasticsearchUrl).toBe('http://127.0.0.1:9200');
    expect(endpoints.redisUrl).toBe('redis://cache:6380');
    expect(endpoints.smtpUrl).toBe('smtp://mail.internal:2525');
  });
});

describe('server selection', () => {
  it('starts one server per endpoint by default', () => {
    expect(resolveSelection()).toEqual(['redis', 'ferretdb', 'kafka', 'elasticsearch', 'maildev']);
  });

  it('accepts mongo as an alias of ferretdb and drops duplicates', () => {
    expect(resolveSelection(['mongo', 'ferretdb', 'redis'])).toEqual(['ferretdb', 'redis']);
  });

  it('starts prometheus only when named (monitoring is on demand)', () => {
    expect(resolveSelection()).not.toContain('prometheus');
    expect(resolveSelection(['prometheus'])).toEqual(['prometheus']);
  });

  it('rejects unknown names with one sentence', () => {
    expect(() => resolveSelection(['mysql' as never])).toThrow(InfraError);
    expect(() => resolveSelection(['mysql' as never])).toThrow(/Unknown server "mysql"/);
  });
});

describe('cache location', () => {
  it('prefers FOODXCHANGE_CACHE, then XDG_CACHE_HOME, then ~/.cache', () => {
    expect(cacheRoot({ FOODXCHANGE_CACHE: '/srv/fx', XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/srv/fx');
    expect(cacheRoot({ XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/x/foodxchange');
    expect(cacheRoot({ HOME: '/h' })).toBe('/h/.cache/foodxchange');
  });

  it('sees when a 0700 ancestor hides the cache from other OS users', () => {
    const privateDir = join(scratch, 'private');
    mkdirSync(join(privateDir, 'cache'), { recursive: true });
    chmodSync(privateDir, 0o700);
    expect(isTraversableByOthers(join(privateDir, 'cache'))).toBe(false);
    chmodSync(privateDir, 0o755);
    expect(isTraversableByOthers(join(privateDir, 'cache', 'not-yet-created'))).toBe(true);
  });
});

describe('prerequisite parsing', () => {
  it('reads the Java major version from java -version', () => {
    expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment')).toBe(17);
    expect(parseJavaMajor('java version "1.8.0_392"')).toBe(8);
    expect(parseJavaMajor('openjdk version "21" 2023-09-19')).toBe(21);
    expect(parseJavaMajor('command not found')).toBeUndefined();
  });

  it('prefers Java 17, then the oldest newer Java, never an older one', () => {
    expect(chooseJava([{ major: 25 }, { major: 17 }, { major: 21 }])).toEqual({ major: 17 });
    expect(chooseJava([{ major: 25 }, { major: 11 }, { major: 21 }])).toEqual({ major: 21 });
    expect(chooseJava([{ major: 11 }, { major: 8 }])).toBeUndefined();
  });

  it('reads the Go version from go env GOVERSION', () => {
    expect(parseGoVersion('go1.26.8\n')).toEqual([1, 26]);
    expect(parseGoVersion('go1.22.2 X:nocoverageredesign')).toEqual([1, 22]);
    expect(parseGoVersion('')).toBeUndefined();
  });
});

describe('config rendering', () => {
  it('writes a single-node KRaft server.properties with fast group joins and no auto-created topics', () => {
    const properties = renderKafkaServerProperties('/data/kafka');
    const settings = Object.fromEntries(
      properties
        .split('\n')
        .filter((line) => line && !line.startsWith('#'))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(settings).toMatchObject({
      'process.roles': 'broker,controller',
      'node.id': '1',
      'controller.quorum.voters': '1@127.0.0.1:9093',
      listeners: 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093',
      'advertised.listeners': 'PLAINTEXT://127.0.0.1:9092',
      'controller.listener.names': 'CONTROLLER',
      'inter.broker.listener.name': 'PLAINTEXT',
      'log.dirs': '/data/kafka',
      'auto.create.topics.enable': 'false',
      'num.partitions': '3',
      'offsets.topic.replication.factor': '1',
      'offsets.topic.num.partitions': '10',
      'transaction.state.log.replication.factor': '1',
      'transaction.state.log.min.isr': '1',
      'group.initial.rebalance.delay.ms': '0',
      'metadata.max.idle.interval.ms': '5000',
      'num.io.threads': '4',
      'num.network.threads': '2',
    });
  });

  it('makes Kafka cluster ids of 16 bytes in unpadded base64url', () => {
    const id = newKafkaClusterId();
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    expect(newKafkaClusterId()).not.toBe(id);
  });

  it('only writes module settings Elasticsearch knows, since it rejects unknown ones', () => {
    const core = renderElasticsearchYml({ dataDir: '/es/data', logsDir: '/es/logs', modules: ['transport-netty4'] });
    expect(core).toContain('discovery.type: single-node');
    expect(core).toContain('network.host: 127.0.0.1');
    expect(core).toContain('http.port: 9200');
    expect(core).toContain('transport.port: 9300');
    expect(core).toContain('path.data: /es/data');
    expect(core).toContain('cluster.routing.allocation.disk.threshold_enabled: false');
    expect(core).not.toContain('xpack.security.enabled');
    expect(core).not.toContain('ingest.geoip');

    const full = renderElasticsearchYml({ dataDir: '/d', logsDir: '/l', modules: ['x-pack-security', 'ingest-geoip'] });
    expect(full).toContain('xpack.security.enabled: false');
    expect(full).toContain('ingest.geoip.downloader.enabled: false');
  });

  it('runs FerretDB on the PostgreSQL backend on loopback without telemetry', () => {
    const args = ferretdbArgs('/run/ferretdb');
    expect(args).toContain('--handler=postgresql');
    expect(args).toContain('--postgresql-url=postgres://postgres@127.0.0.1:5439/ferretdb?pool_max_conns=150&pool_max_conn_idle_time=1m');
    expect(args).toContain('--listen-addr=127.0.0.1:27017');
    expect(args).toContain('--telemetry=disable');
    expect(args.join(' ')).not.toContain('sqlite');
  });

  it('runs its own PostgreSQL on 5439, loopback only, without fsync', () => {
    const args = postgresServerArgs('/sock').join(' ');
    expect(args).toContain('-p 5439');
    expect(args).toContain('-k /sock');
    expect(args).toContain('-c listen_addresses=127.0.0.1');
    expect(args).toContain('-c fsync=off');
  });

  it("gives FerretDB a PostgreSQL pool of 150 (its own default of 50 is exhausted by 50 open cursors) within PostgreSQL's max_connections", () => {
    const url = new URL(ferretdbArgs('/run/ferretdb').find((arg) => arg.startsWith('--postgresql-url='))?.slice('--postgresql-url='.length) ?? '');
    const poolMaxConns = Number(url.searchParams.get('pool_max_conns'));
    expect(poolMaxConns).toBe(150);
    const maxConnections = Number(/-c max_connections=(\d+)/.exec(postgresServerArgs('/sock').join(' '))?.[1]);
    // Room beside the pool for psql, tools and a test's private FerretDB.
    expect(maxConnections - poolMaxConns).toBeGreaterThanOrEqual(100);
  });

  it('plans every execution of a prepared statement, so FerretDB lookups can use the GIN companions', () => {
    expect(postgresServerArgs('/sock').join(' ')).toContain('-c plan_cache_mode=force_custom_plan');
  });
});

describe('GIN companion names', () => {
  const parent = 'outbox_quarantine_a8c806a9_quarantinedat___79d7c64_idx';
  it('fit PostgreSQL identifiers and never end like a FerretDB index name', () => {
    expect(ginCompanionName(parent).length).toBeLessThanOrEqual(63);
    expect(ginCompanionName(parent)).toMatch(/_gin$/);
    // The name the SQL function gin_companion_name() gave this index of a real FerretDB table.
    expect(ginCompanionName('items_e036382f__id__67399184_idx')).toBe('items_e036382f__id__67399184_idx_36d53468_gin');
  });

  it('stay distinct for parents that share their first 50 characters', () => {
    const a = `${'x'.repeat(50)}_a_12345678_idx`;
    const b = `${'x'.repeat(50)}_b_12345678_idx`;
    expect(ginCompanionName(a)).not.toBe(ginCompanionName(b));
  });
});

describe('lock file', () => {
  it('runs two launchers one after the other, never at once', async () => {
    const lockFile = join(scratch, 'infra.lock');
    const events: string[] = [];
    // a holds the lock until b has seen it held (b says it is waiting) or, if the lock failed to
    // exclude it, until b got in anyway: a condition, not a guess at how long b needs.
    let release: () => void = () => undefined;
    const bTried = new Promise<void>((resolve) => {
      release = resolve;
    });
    const a = withLock(lockFile, () => undefined, async () => {
      events.push('a in');
      await bTried;
      events.push('a out');
    });
    const b = withLock(
      lockFile,
      (line) => {
        if (line.startsWith('waiting for another infra launcher')) release();
      },
      async () => {
        release();
        events.push('b in');
        events.push('b out');
      },
    );
    await Promise.all([a, b]);
    expect(events).toEqual(['a in', 'a out', 'b in', 'b out']);
  });

  it('takes over a lock left by a launcher that died', async () => {
    const lockFile = join(scratch, 'stale.lock');
    // pid 2^22+1 is above Linux's pid_max default: no such process.
    writeFileSync(lockFile, '4194305 0 0');
    await expect(withLock(lockFile, () => undefined, async () => 'ran')).resolves.toBe('ran');
  });
});

describe('Prometheus configuration', () => {
  const render = (scrapeIntervalSeconds?: number) =>
    renderPrometheusConfig({ jobs: [{ job: 'order', targets: ['127.0.0.1:3006', '127.0.0.1:3016'] }], ruleFiles: ['/x/alerts.yml'], ...(scrapeIntervalSeconds ? { scrapeIntervalSeconds } : {}) });

  it('scrapes each job with the platform label and loads the rule files', () => {
    const text = render();
    expect(text).toContain('  - job_name: "order"\n');
    expect(text).toContain('      - targets: ["127.0.0.1:3006", "127.0.0.1:3016"]\n        labels:\n          platform: "foodxchange"\n');
    expect(text).toContain('rule_files:\n  - "/x/alerts.yml"\n');
    expect(text).toContain('  scrape_interval: 15s\n  scrape_timeout: 10s\n  evaluation_interval: 15s\n');
  });

  it('never gives a scrape timeout longer than the interval (Prometheus refuses that)', () => {
    expect(render(1)).toContain('  scrape_interval: 1s\n  scrape_timeout: 1s\n');
  });
});
