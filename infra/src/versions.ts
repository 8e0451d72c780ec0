/**
 * Pinned versions and ports of everything the launcher runs. Bumping a version here makes the
 * next `up` install the new one next to the old (install directories are versioned).
 */
export const FERRETDB_VERSION = '1.24.2';
export const KAFKA_VERSION = '3.9.1';
/** Kafka's own artifacts are built per Scala version; 2.13 is the one Kafka recommends. */
export const KAFKA_SCALA_VERSION = '2.13';
/** The slf4j binding Kafka 3.9's own distribution ships (log4j 1 API via reload4j). */
export const SLF4J_RELOAD4J_VERSION = '1.7.36';
export const ELASTICSEARCH_VERSION = '8.19.21';
/** MailDev from npm: the SMTP server (with a web inbox and REST API) that catches the platform's e-mail. */
export const MAILDEV_VERSION = '3.0.0';
/** MailDev keeps mail in memory: the oldest beyond this many are dropped. */
export const MAILDEV_MAX_EMAILS = 5000;

/** Java is needed by Kafka and Elasticsearch; ES 8.19 refuses anything older than 17. */
export const MIN_JAVA_MAJOR = 17;
/** FerretDB 1.24's go.mod asks for Go 1.24; an older `go` can switch itself via GOTOOLCHAIN. */
export const MIN_GO = [1, 24] as const;

export const HOST = '127.0.0.1';

export const PORTS = {
  redis: 6379,
  postgres: 5439,
  ferretdb: 27017,
  ferretdbDebug: 28088,
  kafka: 9092,
  kafkaController: 9093,
  elasticsearch: 9200,
  elasticsearchTransport: 9300,
  prometheus: 9090,
  maildevSmtp: 1025,
  maildevWeb: 1080,
} as const;

/**
 * FerretDB keeps one pooled PostgreSQL connection per open cursor until the cursor is exhausted
 * or its client connection closes (1.24 has no idle-cursor timeout), and its own default pool is
 * 50: 50 unfinished cursors (catch-up loops, workers, suites sharing the server) then stall every
 * command, and a dropDatabase waiting for a connection while holding FerretDB's metadata lock
 * makes that a deadlock. A larger pool raises that ceiling; see infra/README.md.
 */
export const FERRETDB_PG_POOL_MAX_CONNS = 150;
/** The launcher cluster's max_connections: FerretDB's pool plus room for psql, tools and a test's private FerretDB. */
export const POSTGRES_MAX_CONNECTIONS = 300;

/** The launcher's own PostgreSQL cluster holds one database, FerretDB's. */
export const FERRETDB_PG_DATABASE = 'ferretdb';
/** OS user that runs Elasticsearch when the launcher runs as root (ES refuses root). */
export const ELASTICSEARCH_OS_USER = 'foodxchange-es';
/** OS user that runs PostgreSQL when the launcher runs as root (postgres refuses root). */
export const POSTGRES_OS_USER = 'postgres';
/**
 * Where root keeps the data of servers that run as another OS user when the cache itself lives
 * under a home those users cannot traverse (root's home is 0700 on Debian).
 */
export const SYSTEM_DATA_ROOT = '/var/lib/foodxchange';

/** What clients use when the launcher runs the server (no database name in the Mongo URL). */
export const DEFAULT_URLS = {
  redis: `redis://${HOST}:${PORTS.redis}`,
  postgres: `postgres://postgres@${HOST}:${PORTS.postgres}/${FERRETDB_PG_DATABASE}`,
  ferretdb: `mongodb://${HOST}:${PORTS.ferretdb}/?directConnection=true`,
  kafka: `${HOST}:${PORTS.kafka}`,
  elasticsearch: `http://${HOST}:${PORTS.elasticsearch}`,
  prometheus: `http://${HOST}:${PORTS.prometheus}`,
  maildev: `smtp://${HOST}:${PORTS.maildevSmtp}`,
  /** MailDev's web inbox and REST API (`/api/email`). */
  maildevWeb: `http://${HOST}:${PORTS.maildevWeb}`,
} as const;
