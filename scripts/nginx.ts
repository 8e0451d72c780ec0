/**
 * Runs Debian's nginx in front of gateways on loopback, from nginx/local.conf.template: used by
 * the gateway's nginx test and by the benchmark. Unprivileged-friendly: every path it writes is
 * inside a temporary prefix.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const templatePath = fileURLToPath(new URL('../nginx/local.conf.template', import.meta.url));

export function nginxBinary(): string {
  for (const candidate of ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx']) if (existsSync(candidate)) return candidate;
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  throw new Error('nginx is not installed: apt-get install -y nginx-light (CI installs it in .ci/run)');
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export function renderLocalConfig(prefix: string, port: number, gatewayPorts: number[]): string {
  const servers = gatewayPorts.map((p) => `    server 127.0.0.1:${p} max_fails=2 fail_timeout=5s;`).join('\n');
  return readFileSync(templatePath, 'utf8')
    .replaceAll('{{PREFIX}}', prefix)
    .replaceAll('{{PORT}}', String(port))
    .replaceAll('{{UPSTREAM_SERVERS}}', servers);
}

export interface RunningNginx {
  url: string;
  process: ChildProcess;
  errorLog: string;
  stop(): Promise<void>;
}

export interface NginxOptions {
  /** The port to listen on (default: a free one). */
  port?: number;
  /** In a process group of its own, so it outlives the script that started it (`npm start -- --detach`). */
  detached?: boolean;
}

export async function startNginx(gatewayPorts: number[], options: NginxOptions = {}): Promise<RunningNginx> {
  const binary = nginxBinary();
  const prefix = mkdtempSync(join(tmpdir(), 'foodxchange-nginx-'));
  // Run as root, nginx's workers drop to an unprivileged user: they must reach the temp dirs.
  chmodSync(prefix, 0o755);
  for (const dir of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi', 'logs']) {
    mkdirSync(join(prefix, dir), { recursive: true });
    chmodSync(join(prefix, dir), 0o777);
  }
  const port = options.port ?? (await freePort());
  const config = join(prefix, 'nginx.conf');
  writeFileSync(config, renderLocalConfig(prefix, port, gatewayPorts));
  const child = spawn(binary, ['-p', prefix, '-c', config, '-e', join(prefix, 'error.log')], { stdio: 'ignore', detached: options.detached ?? false });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      const log = existsSync(join(prefix, 'error.log')) ? readFileSync(join(prefix, 'error.log'), 'utf8') : '';
      throw new Error(`nginx exited with ${child.exitCode}: ${log.slice(-500)}`);
    }
    try {
      await fetch(`${url}/health/live`, { signal: AbortSignal.timeout(500) });
      break;
    } catch {
      if (Date.now() > deadline) throw new Error('nginx did not start listening within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url,
    process: child,
    errorLog: join(prefix, 'error.log'),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGQUIT'); // graceful: finish in-flight requests
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}
