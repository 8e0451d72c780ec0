import { connect } from 'node:net';
import { InfraError } from '../errors.js';
import { aptInstall } from '../prereqs.js';
import { spawnDetached, which } from '../process.js';
import { DEFAULT_URLS, HOST, PORTS } from '../versions.js';
import { hostPort, type ProbeResult, type ServerDriver } from './driver.js';

/** Redis from Debian's `redis-server` package: the distribution's build is all a cache needs. */
export function redisDriver(): ServerDriver {
  let redisServer: string | undefined;
  return {
    name: 'redis',
    label: 'Redis server',
    port: PORTS.redis,
    defaultUrl: DEFAULT_URLS.redis,
    envVar: 'REDIS_URL',
    version: 'debian',
    processMarker: 'redis-server',
    stop: { signal: 'SIGTERM', group: true, timeoutMs: 10_000 },
    startTimeoutMs: 15_000,

    async install() {
      redisServer = which('redis-server');
      if (redisServer) {
        return { cached: true };
      }
      await aptInstall(['redis-server'], 'Redis');
      redisServer = which('redis-server');
      if (!redisServer) {
        throw new InfraError('apt-get installed redis-server but no redis-server binary is on PATH.');
      }
      return { cached: false };
    },

    async start(ctx) {
      if (!redisServer) {
        throw new InfraError('redis-server was not installed before starting it.');
      }
      // A cache for dev and tests: no RDB snapshots, no AOF, nothing written to disk.
      return spawnDetached({
        command: redisServer,
        args: ['--port', String(PORTS.redis), '--bind', HOST, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', ctx.runDir],
        cwd: ctx.runDir,
        logFile: ctx.logFile,
        pidFile: ctx.pidFile,
      });
    },

    probe: probeRedis,
  };
}

/** PING, then INFO server for the version, in raw RESP (no client, no reconnect loops). */
export async function probeRedis(url: string): Promise<ProbeResult> {
  const { host, port } = hostPort(url, PORTS.redis);
  const parsed = new URL(url.includes('://') ? url : `redis://${url}`);
  const commands: string[][] = [];
  if (parsed.password) {
    commands.push(parsed.username ? ['AUTH', decodeURIComponent(parsed.username), decodeURIComponent(parsed.password)] : ['AUTH', decodeURIComponent(parsed.password)]);
  }
  commands.push(['PING'], ['INFO', 'server']);
  try {
    const replies = await redisExchange(host, port, commands, 2_000);
    const pong = replies.at(-2);
    if (pong !== 'PONG') {
      return { ok: false, reason: `PING answered ${JSON.stringify(pong)}` };
    }
    const version = /redis_version:(\S+)/.exec(replies.at(-1) ?? '')?.[1];
    return version ? { ok: true, version } : { ok: true };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

function encodeCommand(parts: string[]): string {
  return `*${parts.length}\r\n${parts.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`;
}

/** Sends the commands pipelined and reads one reply each (simple strings, errors, bulk strings). */
function redisExchange(host: string, port: number, commands: string[][], timeoutMs: number): Promise<string[]> {
  return new Promise((resolveReplies, reject) => {
    const socket = connect({ host, port });
    let buffer = Buffer.alloc(0);
    const replies: string[] = [];
    const fail = (error: Error): void => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)));
    socket.once('error', fail);
    // Closed before all replies (e.g. an HTTP server on the port answered 400 and hung up).
    socket.once('close', () => fail(new Error(`connection closed after ${replies.length} of ${commands.length} replies`)));
    socket.once('connect', () => socket.write(commands.map(encodeCommand).join('')));
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const lineEnd = buffer.indexOf('\r\n');
        if (lineEnd < 0) {
          return;
        }
        const line = buffer.subarray(0, lineEnd).toString('utf8');
        const kind = line[0];
        if (kind === '+' || kind === ':') {
          replies.push(line.slice(1));
          buffer = buffer.subarray(lineEnd + 2);
        } else if (kind === '-') {
          fail(new Error(`Redis answered ${line.slice(1)}`));
          return;
        } else if (kind === '$') {
          const length = Number(line.slice(1));
          if (length < 0) {
            replies.push('');
            buffer = buffer.subarray(lineEnd + 2);
          } else {
            if (buffer.length < lineEnd + 2 + length + 2) {
              return;
            }
            replies.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + length).toString('utf8'));
            buffer = buffer.subarray(lineEnd + 2 + length + 2);
          }
        } else {
          fail(new Error(`not a Redis server (answered ${JSON.stringify(line.slice(0, 40))})`));
          return;
        }
        if (replies.length === commands.length) {
          socket.end();
          resolveReplies(replies);
          return;
        }
      }
    });
  });
}
