import http from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildService, ok, serviceKit, type ServiceApp } from '../src/index.js';
import { publicByDefault, waitFor } from '../src/testing.js';

const service = { name: 'kit-lifecycle', version: '1.0.0', description: 'shutdown test service', defaultPort: 0 };

/** A promise with its resolver, to hand control between the test and a route. */
function signal<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

async function listeningApp(routes: (app: FastifyInstance) => void): Promise<{ app: FastifyInstance; port: number }> {
  const plugin: ServiceApp = async (app, { config }) => {
    await app.register(serviceKit, { service, config, mongo: false });
    publicByDefault(app);
    routes(app);
  };
  const app = await buildService(service, plugin, { LOG_LEVEL: 'silent' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, port: (app.server.address() as net.AddressInfo).port };
}

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Splits what one connection received into its HTTP/1.1 responses (bodies framed by Content-Length). */
function parseResponses(received: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = received;
  while (rest.startsWith('HTTP/1.1')) {
    const headEnd = rest.indexOf('\r\n\r\n');
    const [statusLine = '', ...lines] = rest.slice(0, headEnd).split('\r\n');
    const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
    const length = Number(headers['content-length'] ?? 0);
    responses.push({ status: Number(statusLine.split(' ')[1]), headers, body: rest.slice(headEnd + 4, headEnd + 4 + length) });
    rest = rest.slice(headEnd + 4 + length);
  }
  return responses;
}

describe('a closing instance', () => {
  it('finishes requests in flight and answers later ones with a 503 envelope and connection: close', async () => {
    const blocked = signal();
    const release = signal();
    let keptAlive!: net.Socket;
    let keptAliveReceived = '';
    const answered = (count: number) => waitFor(() => parseResponses(keptAliveReceived).length >= count, { timeoutMs: 10_000, what: `${count} responses` });
    const newConnection = signal<{ status: number; headers: http.IncomingHttpHeaders; body: string }>();
    const { app, port } = await listeningApp((app) => {
      app.get('/slow', async () => {
        blocked.resolve();
        await release.promise;
        return ok({ finished: true });
      });
      app.get('/ping', async () => ok({ pong: true }));
      // Runs after the kit's own preClose hook, while the listener still accepts connections:
      // the moment nginx still sends requests, on new and on kept-alive connections, to a
      // replica that is going away.
      app.addHook('preClose', async () => {
        keptAlive.write('GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n');
        await answered(2);
        http.get({ host: '127.0.0.1', port, path: '/ping', agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => newConnection.resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        });
        await newConnection.promise;
      });
    });

    // A kept-alive connection that has served one request already.
    keptAlive = net.connect(port, '127.0.0.1');
    keptAlive.setEncoding('utf8');
    keptAlive.on('data', (chunk) => (keptAliveReceived += chunk));
    keptAlive.write('GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await answered(1);

    // A request in flight when closing starts.
    const inFlight = new Promise<{ status: number; body: string }>((resolve) => {
      http.get({ host: '127.0.0.1', port, path: '/slow', agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
    });
    await blocked.promise;

    const closed = app.close();
    const fresh = await newConnection.promise;
    release.resolve();

    const [, again] = parseResponses(keptAliveReceived);
    for (const answer of [again!, fresh]) {
      expect(answer.status).toBe(503);
      expect(answer.headers.connection).toBe('close');
      expect(JSON.parse(answer.body)).toMatchObject({
        success: false,
        error: { code: 'SERVICE_UNAVAILABLE', details: { reason: 'shutting-down' } },
        metadata: { requestId: answer.headers['x-request-id'] },
      });
    }
    expect(await inFlight).toMatchObject({ status: 200 });
    expect(JSON.parse((await inFlight).body).data).toEqual({ finished: true });
    await closed;
    keptAlive.destroy();
  });

  it('ends the long-lived streams it tracks, so closing does not wait for them', async () => {
    const { app, port } = await listeningApp((app) => {
      app.get('/events', (_request, reply) => {
        reply.hijack();
        reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        reply.raw.write('data: hello\n\n');
        app.streams.track(reply.raw);
      });
    });
    const firstEvent = signal<string>();
    const ended = signal();
    const client = http.get({ host: '127.0.0.1', port, path: '/events', agent: false }, (res) => {
      res.setEncoding('utf8');
      res.once('data', (chunk: string) => firstEvent.resolve(chunk));
      res.on('end', () => ended.resolve());
    });
    expect(await firstEvent.promise).toBe('data: hello\n\n');
    expect(app.streams.size).toBe(1);

    // Without the registry the open stream holds close() until the client goes away.
    const outcome = await Promise.race([
      app.close().then(() => 'closed'),
      new Promise((resolve) => setTimeout(resolve, 20_000, 'still open after 20 s')),
    ]);
    expect(outcome).toBe('closed');
    await ended.promise;
    expect(app.streams.size).toBe(0);
    client.destroy();
  });

  it('forgets a stream whose client went away', async () => {
    const tracked = signal();
    const { app, port } = await listeningApp((app) => {
      app.get('/events', (_request, reply) => {
        reply.hijack();
        reply.raw.writeHead(200, { 'content-type': 'text/event-stream' });
        reply.raw.write(': open\n\n');
        app.streams.track(reply.raw);
        tracked.resolve();
      });
    });
    try {
      const client = http.get({ host: '127.0.0.1', port, path: '/events', agent: false });
      // Going away is this client's point: its own "socket hang up" is expected.
      client.on('error', () => {});
      await tracked.promise;
      expect(app.streams.size).toBe(1);
      client.destroy();
      await waitFor(() => app.streams.size === 0, { timeoutMs: 10_000, what: 'the stream to be forgotten' });
    } finally {
      await app.close();
    }
  });
});
