import type { CachePaths } from '../cache.js';
import type { ServerName } from '../types.js';

export interface ServerContext {
  paths: CachePaths;
  /** `<cache>/run/<server>`: pid file, metadata and the stdout/stderr log. Already created. */
  runDir: string;
  logFile: string;
  pidFile: string;
  log: (line: string) => void;
}

/**
 * `unresponsive`: the server accepts connections but does not answer its protocol's health
 * command in time (stuck, not starting and not stopped); a launcher-started one is restarted.
 */
export type ProbeResult = { ok: true; version?: string } | { ok: false; reason: string; unresponsive?: boolean };

/** One kind of server: how to install it, start it, recognise it and stop it. */
export interface ServerDriver {
  name: ServerName;
  /** For sentences: "Redis", "Kafka broker", ... */
  label: string;
  port: number;
  /** The URL clients use when the launcher runs it on the standard port. */
  defaultUrl: string;
  /** Env var that points at an existing server instead (then nothing is started). */
  envVar?: string;
  /** Servers that must answer before this one starts (FerretDB stores into PostgreSQL). */
  requires?: ServerName[];
  /** The version the launcher installs, reported when the protocol cannot tell (Kafka). */
  version: string;
  /** Substring of /proc/<pid>/cmdline proving a pid file still names this server. */
  processMarker: string;
  stop: { signal: NodeJS.Signals; group: boolean; timeoutMs: number };
  startTimeoutMs: number;
  /** Makes sure binaries exist (downloading or building them); `cached` = nothing to do. */
  install(ctx: ServerContext): Promise<{ cached: boolean }>;
  /** Spawns the server detached and returns its pid; readiness is awaited by the caller via probe. */
  start(ctx: ServerContext): Promise<number>;
  /** Answers its real protocol? Short timeouts: called in a loop while the server starts. */
  probe(url: string): Promise<ProbeResult>;
  /** For a running server of ours started by an older launcher: the setting it lacks, if any. */
  outdatedCommandLine?(commandLine: string): string | undefined;
  /** The usual cause of it being unresponsive, for the restart's log line. */
  unresponsiveHint?: string;
  /** Saves what helps to see why it got stuck (before an unresponsive server is restarted); returns the file. */
  saveDiagnostics?(ctx: ServerContext): Promise<string | undefined>;
  /** One-time setup once it answers (e.g. create FerretDB's database), also when reused. */
  afterReady?(ctx: ServerContext): Promise<void>;
}

export function hostPort(url: string, defaultPort: number): { host: string; port: number } {
  const parsed = new URL(url.includes('://') ? url : `tcp://${url}`);
  return { host: parsed.hostname || '127.0.0.1', port: parsed.port ? Number(parsed.port) : defaultPort };
}
