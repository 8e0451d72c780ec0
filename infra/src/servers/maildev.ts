import { existsSync, renameSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { CachePaths } from '../cache.js';
import { ensureDir } from '../cache.js';
import { InfraError } from '../errors.js';
import { runOrFail, spawnDetached, which } from '../process.js';
import { DEFAULT_URLS, HOST, MAILDEV_MAX_EMAILS, MAILDEV_VERSION, PORTS } from '../versions.js';
import { hostPort, type ProbeResult, type ServerDriver } from './driver.js';

/**
 * MailDev from npm: an SMTP server that keeps what it receives plus a web inbox and REST API
 * (`/api/email`) on another port, where developers read the platform's e-mail and tests read it
 * back. Installed with npm into `<cache>/bin/maildev-<version>` (a versioned folder, like the
 * other servers' installs) and run with this Node. Mail is kept in memory, bounded.
 */
export function maildevDriver(paths: CachePaths): ServerDriver {
  const installDir = join(paths.bin, `maildev-${MAILDEV_VERSION}`);
  const entry = join(installDir, 'node_modules', 'maildev', 'dist', 'bin', 'maildev.js');
  return {
    name: 'maildev',
    label: 'MailDev SMTP server',
    port: PORTS.maildevSmtp,
    defaultUrl: DEFAULT_URLS.maildev,
    envVar: 'SMTP_URL',
    version: MAILDEV_VERSION,
    processMarker: 'maildev.js',
    stop: { signal: 'SIGTERM', group: true, timeoutMs: 10_000 },
    startTimeoutMs: 30_000,

    async install(ctx) {
      if (existsSync(entry)) {
        return { cached: true };
      }
      const npm = which('npm');
      if (!npm) {
        throw new InfraError('MailDev is installed with npm, and no npm is on PATH (it comes with Node 20).');
      }
      // Into a scratch folder first, moved into place whole: a failed install never looks installed.
      const scratch = join(ensureDir(paths.build), `maildev-${MAILDEV_VERSION}-${process.pid}`);
      rmSync(scratch, { recursive: true, force: true });
      ensureDir(scratch);
      ctx.log(`maildev: installing maildev@${MAILDEV_VERSION} with npm`);
      await runOrFail('npm install maildev', npm, ['install', '--prefix', scratch, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', `maildev@${MAILDEV_VERSION}`], {
        cwd: scratch,
        timeoutMs: 300_000,
      });
      if (!existsSync(join(scratch, 'node_modules', 'maildev', 'dist', 'bin', 'maildev.js'))) {
        throw new InfraError(`npm installed maildev@${MAILDEV_VERSION} but its dist/bin/maildev.js is missing.`);
      }
      ensureDir(paths.bin);
      rmSync(installDir, { recursive: true, force: true });
      renameSync(scratch, installDir);
      return { cached: false };
    },

    async start(ctx) {
      if (!existsSync(entry)) {
        throw new InfraError('MailDev was not installed before starting it.');
      }
      return spawnDetached({
        command: process.execPath,
        args: [
          entry,
          '--smtp',
          String(PORTS.maildevSmtp),
          '--ip',
          HOST,
          '--web',
          String(PORTS.maildevWeb),
          '--web-ip',
          HOST,
          '--max-emails',
          String(MAILDEV_MAX_EMAILS),
        ],
        cwd: ctx.runDir,
        logFile: ctx.logFile,
        pidFile: ctx.pidFile,
      });
    },

    probe: probeMaildev,
  };
}

/** The SMTP greeting on the SMTP port, then the web API's health and version. */
export async function probeMaildev(url: string): Promise<ProbeResult> {
  const { host, port } = hostPort(url, PORTS.maildevSmtp);
  try {
    const greeting = await smtpGreeting(host, port, 2_000);
    if (!greeting.startsWith('220')) {
      return { ok: false, reason: `SMTP greeting was ${JSON.stringify(greeting.slice(0, 80))}`, unresponsive: true };
    }
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
  try {
    const response = await fetch(`${DEFAULT_URLS.maildevWeb}/api/config`, { signal: AbortSignal.timeout(2_000) });
    const config = response.ok ? ((await response.json()) as { version?: string }) : undefined;
    return config?.version ? { ok: true, version: `maildev ${config.version}` } : { ok: true };
  } catch {
    // An SMTP server that greets is what the services need; the inbox is for people and tests.
    return { ok: true };
  }
}

function smtpGreeting(host: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolveGreeting, reject) => {
    const socket = connect({ host, port });
    let text = '';
    const finish = (error?: Error) => {
      socket.end('QUIT\r\n');
      socket.destroy();
      if (error) reject(error);
      else resolveGreeting(text);
    };
    socket.setTimeout(timeoutMs, () => finish(new Error(`no SMTP greeting from ${host}:${port} within ${timeoutMs} ms`)));
    socket.once('error', (error) => finish(error));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes('\r\n')) finish();
    });
  });
}
