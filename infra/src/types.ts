/**
 * The servers the launcher knows. `ferretdb` is the MongoDB-compatible server; it needs `postgres`.
 * `prometheus` (monitoring) only starts when asked for by name: it is no endpoint of the services.
 */
export type ServerName = 'redis' | 'postgres' | 'ferretdb' | 'kafka' | 'elasticsearch' | 'prometheus' | 'maildev';

export const SERVER_NAMES: readonly ServerName[] = ['redis', 'postgres', 'ferretdb', 'kafka', 'elasticsearch', 'prometheus', 'maildev'];

/** Accepted by `only`: `mongo` is an alias of `ferretdb` for callers that think in endpoints. */
export type ServerSelector = ServerName | 'mongo';

export interface InfraEndpoints {
  /** e.g. `mongodb://127.0.0.1:27017/?directConnection=true` (no database name). */
  mongoUrl: string;
  /** Comma-separated `host:port` list, e.g. `127.0.0.1:9092`. */
  kafkaBrokers: string;
  /** e.g. `http://127.0.0.1:9200`. */
  elasticsearchUrl: string;
  /** e.g. `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** e.g. `smtp://127.0.0.1:1025` (MailDev, when the launcher runs it: `up --only maildev`). */
  smtpUrl: string;
}

/**
 * Who is behind a port: `started` = a process this launcher started (it has a pid file and
 * `down` stops it), `reused` = something else answering on the standard port, `external` = the
 * URL came from an env var (MONGO_URL, ...) and the launcher only checked it.
 */
export type ServerOrigin = 'started' | 'reused' | 'external';

export interface ServerStatus {
  name: ServerName;
  /** `running` = answers its protocol; `not-answering` = our process lives but does not answer. */
  state: 'running' | 'stopped' | 'not-answering';
  origin: ServerOrigin | null;
  version: string | null;
  url: string;
  port: number;
  pid: number | null;
  logPath: string | null;
  /** Why it does not answer, when it does not. */
  detail?: string;
}

export interface ServerUpReport extends ServerStatus {
  /** What this `up` did: started it now, or found it answering already. */
  action: 'started' | 'reused' | 'external';
  installMs: number;
  /** True when nothing had to be downloaded or built. */
  installCached: boolean;
  startMs: number;
  /** Set when `up` stopped an unresponsive server it had started and started it again: why. */
  restartedBecause?: string;
}

/** One scrape job of the launcher's Prometheus: a platform process and where its replicas listen. */
export interface ScrapeJob {
  /** The process name (`order`, `gateway`): Prometheus' `job` label, which the alerts group by. */
  job: string;
  /** `host:port` of each instance. */
  targets: string[];
}

export interface PrometheusOptions {
  /** What to scrape; default: the nine processes of the platform on their standard loopback ports. */
  jobs?: ScrapeJob[];
  /** Default 15 s (tests use 1 s). */
  scrapeIntervalSeconds?: number;
  /** How often the alerting rules are evaluated; default 15 s. */
  evaluationIntervalSeconds?: number;
}

export interface InfraUpOptions {
  /** Start only these (and what they need: ferretdb needs postgres). Default: all four endpoints (never prometheus). */
  only?: ServerSelector[];
  /** The scrape jobs and intervals of the launcher's Prometheus (used when `only` names it). */
  prometheus?: PrometheusOptions;
  /** Progress lines; default prints to stdout. */
  log?: (line: string) => void;
}
