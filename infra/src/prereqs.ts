import { readdirSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isRoot, isExecutable } from './cache.js';
import { InfraError } from './errors.js';
import { lastMeaningfulLine, runCommand, serialized, which } from './process.js';
import { MIN_GO, MIN_JAVA_MAJOR } from './versions.js';

export interface JavaInstall {
  javaBin: string;
  /** JAVA_HOME of that java (Elasticsearch takes it as ES_JAVA_HOME). */
  javaHome: string;
  major: number;
}

const javaMissing = `Java ${MIN_JAVA_MAJOR} is required to run Kafka and Elasticsearch: install openjdk-${MIN_JAVA_MAJOR}-jre-headless`;

/**
 * The Java that runs Kafka and Elasticsearch. FOODXCHANGE_JAVA_HOME wins; otherwise, among
 * $JAVA_HOME, `java` on PATH and /usr/lib/jvm/*, Java 17 (what Kafka 3.9 and ES 8.19 were
 * checked with here) is preferred, then the oldest newer one: machines often carry a second,
 * much newer JDK (Kafka 3.9 predates Java 23+ and is not tested there).
 */
export async function requireJava(): Promise<JavaInstall> {
  const explicit = process.env.FOODXCHANGE_JAVA_HOME;
  const candidates = explicit
    ? [join(explicit, 'bin', 'java')]
    : [
        ...(process.env.JAVA_HOME ? [join(process.env.JAVA_HOME, 'bin', 'java')] : []),
        ...(which('java') ? [which('java') as string] : []),
        ...listJvmDirs().map((dir) => join(dir, 'bin', 'java')),
      ];
  const found: JavaInstall[] = [];
  const seen = new Set<string>();
  for (const candidate of candidates) {
    if (!isExecutable(candidate)) {
      continue;
    }
    const javaBin = realpathSync(candidate);
    if (seen.has(javaBin)) {
      continue;
    }
    seen.add(javaBin);
    const result = await runCommand(javaBin, ['-version']);
    const major = parseJavaMajor(result.stderr + result.stdout);
    if (major !== undefined) {
      found.push({ javaBin, javaHome: dirname(dirname(javaBin)), major });
    }
  }
  const chosen = chooseJava(found);
  if (!chosen) {
    const seenMajors = found.map((java) => `Java ${java.major}`).join(', ');
    throw new InfraError(`${javaMissing}${seenMajors ? ` (found only ${seenMajors})` : ''}.`);
  }
  return chosen;
}

/** Java 17 if present, else the oldest that is at least 17 (order of preference kept on ties). */
export function chooseJava<T extends { major: number }>(found: T[]): T | undefined {
  const usable = found.filter((java) => java.major >= MIN_JAVA_MAJOR);
  return usable.find((java) => java.major === MIN_JAVA_MAJOR) ?? [...usable].sort((a, b) => a.major - b.major)[0];
}

function listJvmDirs(): string[] {
  try {
    return readdirSync('/usr/lib/jvm')
      .sort()
      .map((name) => join('/usr/lib/jvm', name));
  } catch {
    return [];
  }
}

/** `openjdk version "17.0.15" 2025-04-15` → 17; `java version "1.8.0_392"` → 8. */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!match) {
    return undefined;
  }
  const first = Number(match[1]);
  return first === 1 ? Number(match[2]) : first;
}

export function requireMaven(): string {
  const mvn = which('mvn');
  if (!mvn) {
    throw new InfraError('Maven is required to fetch the Kafka and Elasticsearch jars: install maven.');
  }
  return mvn;
}

export interface GoInstall {
  goBin: string;
  /** Extra env for `go`: lets an older Go fetch the toolchain FerretDB's go.mod asks for. */
  env: NodeJS.ProcessEnv;
}

export async function requireGo(): Promise<GoInstall> {
  const goBin = which('go', ['/usr/local/go/bin', '/usr/lib/go/bin']);
  const missing = `Go ${MIN_GO.join('.')} or newer is required to build FerretDB (the local MongoDB-compatible server): install Go, or set MONGO_URL to a running MongoDB`;
  if (!goBin) {
    throw new InfraError(`${missing}.`);
  }
  const result = await runCommand(goBin, ['env', 'GOVERSION']);
  const version = parseGoVersion(result.stdout);
  if (!version || version[0] !== 1 || version[1] < 21) {
    // Before 1.21 Go cannot switch toolchains by itself.
    throw new InfraError(`${missing} (found ${result.stdout.trim() || 'an unreadable go version'}).`);
  }
  const tooOld = version[1] < MIN_GO[1];
  return { goBin, env: tooOld ? { GOTOOLCHAIN: 'auto' } : {} };
}

/** `go1.26.8` → [1, 26]. */
export function parseGoVersion(output: string): [number, number] | undefined {
  const match = /go(\d+)\.(\d+)/.exec(output);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

let aptUpdated = false;

/**
 * Installs Debian packages non-interactively (root only). `apt-get update` runs first, once per
 * launcher process, because a fresh machine or container has empty package lists.
 */
export function aptInstall(packages: string[], purpose: string): Promise<void> {
  return serialized('apt', async () => {
    const list = packages.join(' ');
    if (!isRoot()) {
      throw new InfraError(`${purpose} needs ${list}, which is not installed, and installing it needs root: run "sudo apt-get install -y ${list}".`);
    }
    const aptGet = which('apt-get');
    if (!aptGet) {
      throw new InfraError(`${purpose} needs ${list}, which is not installed, and apt-get is not available: install it with your package manager.`);
    }
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    if (!aptUpdated) {
      const update = await runCommand(aptGet, ['update', '-q'], { env });
      if (update.code !== 0) {
        throw new InfraError(`apt-get update failed while installing ${list}: ${lastMeaningfulLine(update.stderr + update.stdout)}`);
      }
      aptUpdated = true;
    }
    const install = await runCommand(aptGet, ['install', '-y', '-q', '--no-install-recommends', ...packages], { env });
    if (install.code !== 0) {
      throw new InfraError(`apt-get install ${list} failed: ${lastMeaningfulLine(install.stderr + install.stdout)}`);
    }
  });
}
