/**
 * psql against the launcher's PostgreSQL (port 5439, user postgres, trust login). psql is what
 * the launcher already needs to create FerretDB's database, so tests and tools that check what
 * it set up use it too instead of adding a PostgreSQL client library.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isExecutable } from '../cache.js';
import { InfraError } from '../errors.js';
import { runOrFail, which } from '../process.js';
import { FERRETDB_PG_DATABASE, HOST, PORTS } from '../versions.js';

export function findPsql(binDir: string | undefined): string {
  const psql = binDir && isExecutable(join(binDir, 'psql')) ? join(binDir, 'psql') : which('psql', newestPostgresBinDirs());
  if (!psql) {
    throw new InfraError('psql is needed to set up the launcher PostgreSQL: install postgresql-client.');
  }
  return psql;
}

/** psql arguments for one database of the launcher cluster; each `-c` is its own transaction. */
export function psqlArgs(database: string, commands: string[]): string[] {
  return ['-h', HOST, '-p', String(PORTS.postgres), '-U', 'postgres', '-d', database, '-v', 'ON_ERROR_STOP=1', '-At', ...commands.flatMap((command) => ['-c', command])];
}

/**
 * Runs SQL in the launcher's PostgreSQL and returns the rows of the last statement, each split
 * into its columns (psql's unaligned output, tab-separated).
 */
export async function queryLauncherPostgres(sql: string, database: string = FERRETDB_PG_DATABASE): Promise<string[][]> {
  // Any psql speaks to any server version: the one on PATH will do.
  const psql = findPsql(undefined);
  const result = await runOrFail(`psql ${sql.slice(0, 60)}`, psql, [...psqlArgs(database, [sql]), '-F', '\t'], { cwd: '/' });
  return result.stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split('\t'));
}

function newestPostgresBinDirs(): string[] {
  return installedMajors().map((major) => `/usr/lib/postgresql/${major}/bin`);
}

/** Debian's /usr/lib/postgresql/<major> folders, newest first. */
export function installedMajors(): string[] {
  try {
    return readdirSync('/usr/lib/postgresql')
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
  } catch {
    return [];
  }
}
