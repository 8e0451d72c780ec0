/**
 * The proxy under the faults real services show: a breaker half-open under concurrent writes,
 * connections dropped before an answer, replicas draining during a rolling restart, uploads
 * past the limit without Content-Length, event streams quieter than the upstream timeout, and
 * the client address through a proxy chain. The upstreams are scripted HTTP servers on real
 * ports, so each fault happens exactly when the test says.
 */
import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { Agent, fetch as undiciFetch } from 'undici';
import { SHUTTING_DOWN } from '@foodxchange/service-kit';
import { waitFor } from '@foodxchange/service-kit/testing';
import { UPSTREAMS } from '../src/upstreams.js';
import { answerJson, envelope, fetchBody, signedIn, startGateway, startScripted, tokenFor, urlOf, type ScriptedUpstream } from './helpers.js';

const BODY_LIMIT = 64 * 1024;
// Short enough to fire inside one silence of a stream, long enough that a loaded machine still
// gets headers in time.
const SHORT_TIMEOUT_MS = 1000;
const EVENT_INTERVAL_MS = 2500; // a silence well over the short timeout: a body timeout would cut in between

/** POSTs to /api/v1/orders/hold wait here until the test releases them. */
const heldPosts: ServerResponse[] = [];
const uploads: { bytes: number; completed: boolean; closed: boolean }[] = [];
const dropped = new Set<string>();
/** Tags (`?tag=`) of the event streams whose upstream response has closed. */
const closedStreams = new Set<string>();

function drainingAnswer(res: ServerResponse): void {
  // What a closing kit service answers (and Fastify adds `Connection: close` to every answer while closing).
  const body = envelope({ error: { code: 'SERVICE_UNAVAILABLE', message: 'This instance is shutting down', details: { reason: SHUTTING_DOWN } } });
  answerJson(res, 503, body, { connection: 'close' });
}

function script(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '').split('?')[0]!;
  const key = `${req.method} ${path}`;
  const firstTime = !dropped.has(key);
  switch (path) {
    case '/health/ready':
      return answerJson(res, 200, envelope({ data: { status: 'ok', service: 'scripted', version: '1.0.0', uptimeSeconds: 1, checks: {} } }));
    case '/api/v1/orders/hold':
      req.resume();
      heldPosts.push(res);
      return;
    case '/api/v1/orders/ping':
    case '/api/v1/rfqs/ping':
      return answerJson(res, 200, envelope({ data: { pong: true } }));
    case '/api/v1/products/drop-once':
      // The connection dies before any answer, once per method: a replica that just went away.
      if (firstTime) {
        dropped.add(key);
        req.socket.destroy();
        return;
      }
      return answerJson(res, req.method === 'POST' ? 201 : 200, envelope({ data: { attempt: 2 } }));
    case '/api/v1/products/unavailable':
      // The service's own verdict (its database is down, say): not a draining replica.
      return answerJson(res, 503, envelope({ error: { code: 'SERVICE_UNAVAILABLE', message: 'mongo is down' } }));
    case '/api/v1/rfqs/draining-once':
      if (firstTime) {
        dropped.add(key);
        return drainingAnswer(res);
      }
      return answerJson(res, 200, envelope({ data: { replica: 'the other one' } }));
    case '/api/v1/rfqs/draining':
      req.resume();
      return drainingAnswer(res);
    case '/api/v1/compliance/upload': {
      const upload = { bytes: 0, completed: false, closed: false };
      uploads.push(upload);
      req.on('data', (chunk: Buffer) => (upload.bytes += chunk.length));
      req.on('end', () => {
        upload.completed = true;
        answerJson(res, 201, envelope({ data: { bytes: upload.bytes } }));
      });
      req.on('close', () => (upload.closed = true));
      return;
    }
    case '/api/v1/notifications/stream': {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      let sent = 0;
      const send = () => res.write(`id: ${++sent}\ndata: {"n":${sent}}\n\n`);
      send();
      const timer = setInterval(() => (sent < 10 ? send() : res.end()), EVENT_INTERVAL_MS);
      res.on('close', () => {
        clearInterval(timer);
        closedStreams.add(new URL(req.url ?? '', 'http://x').searchParams.get('tag') ?? '');
      });
      return;
    }
    case '/api/v1/auth/headers':
      return answerJson(res, 200, envelope({ data: { forwardedFor: req.headers['x-forwarded-for'] ?? null } }));
    default:
      return answerJson(res, 404, envelope({ error: { code: 'NOT_FOUND', message: `no ${key}` } }));
  }
}

let upstream: ScriptedUpstream;
let gateway: FastifyInstance;
let base: string;
let shortTimeoutGateway: FastifyInstance;
const streamClients = new Agent();

beforeAll(async () => {
  upstream = await startScripted(script);
  const urls = Object.fromEntries(UPSTREAMS.map((u) => [u.name, upstream.url]));
  gateway = await startGateway(urls, {
    // Breakers open only when a test opens one: the counts are what the tests read.
    BREAKER_VOLUME_THRESHOLD: 1000,
    BREAKER_RESET_MS: 1000,
    BODY_LIMIT_BYTES: BODY_LIMIT,
  });
  base = urlOf(gateway);
  shortTimeoutGateway = await startGateway(urls, { UPSTREAM_TIMEOUT_MS: SHORT_TIMEOUT_MS });
});

/** Stream tests use a client pool of their own, closed with the test, so no idle connection of theirs outlives it. */
async function streamClient(url: string, init: { headers?: Record<string, string>; signal?: AbortSignal } = {}) {
  return undiciFetch(url, { ...init, headers: { ...init.headers, authorization: `Bearer ${await tokenFor()}` }, dispatcher: streamClients });
}

afterAll(async () => {
  await streamClients.close();
  for (const res of heldPosts.splice(0)) res.destroy();
  await gateway?.close();
  await shortTimeoutGateway?.close();
  await upstream?.close();
});

// Signed in: the edge refuses anonymous callers on these routes (edge.test.ts).
const call = async (path: string, init: RequestInit = {}, on = base) => fetchBody(`${on}${path}`, await signedIn(init));

const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

function statsOf(service: string) {
  const { fires, failures, successes, rejects } = gateway.breakers.get(service)!.stats;
  return { fires, failures, successes, rejects };
}

describe('a half-open breaker', () => {
  it('forwards only its one trial call: the calls it refuses never reach the service', async () => {
    const breaker = gateway.breakers.get('order')!;
    const halfOpen = once(breaker, 'halfOpen');
    breaker.open();
    await halfOpen;

    const concurrent = 8;
    let answered = 0;
    const answers = Promise.all(
      Array.from({ length: concurrent }, (_, i) =>
        call('/api/v1/orders/hold', json({ attempt: i })).then((answer) => {
          answered += 1;
          return answer;
        }),
      ),
    );
    // The service holds the trial call, so every other call meets the half-open breaker.
    await waitFor(() => answered === concurrent - 1 && heldPosts.length >= 1, { what: 'all but the trial call answered' });
    for (const res of heldPosts.splice(0)) answerJson(res, 201, envelope({ data: { created: true } }));
    const results = await answers;
    // Anything the gateway sent before this call has reached the service by the time it answers.
    expect((await call('/api/v1/orders/ping')).status).toBe(200);

    const refused = results.filter((r) => r.status === 503);
    const served = results.filter((r) => r.status !== 503);
    expect(refused).toHaveLength(concurrent - 1);
    for (const r of refused) expect(r.body).toMatchObject({ success: false, error: { code: 'SERVICE_UNAVAILABLE', details: { service: 'order' } } });
    expect(served.map((r) => r.status)).toEqual([201]);
    expect(upstream.hitsOf('POST', '/api/v1/orders/hold')).toBe(served.length);
    expect(breaker.closed).toBe(true);
  });
});

describe('retries: one, for idempotent calls, when the replica could not have answered', () => {
  it('a GET whose connection dies before any answer is retried once and succeeds', async () => {
    const before = statsOf('catalog');
    const res = await call('/api/v1/products/drop-once');
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ attempt: 2 });
    expect(upstream.hitsOf('GET', '/api/v1/products/drop-once')).toBe(2);
    // The breaker sees one call, with its final outcome.
    const after = statsOf('catalog');
    expect(after.fires - before.fires).toBe(1);
    expect(after.successes - before.successes).toBe(1);
    expect(after.failures - before.failures).toBe(0);
  });

  it('a POST is never retried: the first attempt may have run', async () => {
    const before = statsOf('catalog');
    const res = await call('/api/v1/products/drop-once', json({ name: 'Oats' }));
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ success: false, error: { code: 'SERVICE_UNAVAILABLE', details: { service: 'catalog' } } });
    expect(upstream.hitsOf('POST', '/api/v1/products/drop-once')).toBe(1);
    expect(statsOf('catalog').failures - before.failures).toBe(1);
  });

  it('a service’s own 503 is its answer: passed on after one call, not repeated, counted as a failure', async () => {
    const before = statsOf('catalog');
    const res = await call('/api/v1/products/unavailable');
    expect(res.status).toBe(503);
    expect(res.body.error).toEqual({ code: 'SERVICE_UNAVAILABLE', message: 'mongo is down' });
    expect(upstream.hitsOf('GET', '/api/v1/products/unavailable')).toBe(1);
    expect(statsOf('catalog').failures - before.failures).toBe(1);
  });
});

describe('a rolling restart', () => {
  it('a GET answered by a draining replica is retried on a new connection', async () => {
    const res = await call('/api/v1/rfqs/draining-once');
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ replica: 'the other one' });
    expect(upstream.hitsOf('GET', '/api/v1/rfqs/draining-once')).toBe(2);
  });

  it('draining answers never count towards opening the breaker, and their connection close stays upstream', async () => {
    const breaker = gateway.breakers.get('rfq')!;
    const before = statsOf('rfq');
    const attempts = 12;
    for (let i = 0; i < attempts; i += 1) {
      const res = await call('/api/v1/rfqs/draining', json({ i }));
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('SERVICE_UNAVAILABLE');
    }
    expect(upstream.hitsOf('POST', '/api/v1/rfqs/draining')).toBe(attempts);
    expect(statsOf('rfq').failures - before.failures).toBe(0);
    expect(breaker.closed).toBe(true);

    // The client's own connection to the gateway is kept: the upstream's `Connection: close`
    // is about the gateway's connection to the replica.
    const token = await tokenFor();
    const answer = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest(`${base}/api/v1/rfqs/draining`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } }, resolve);
      req.on('error', reject);
      req.end('{}');
    });
    answer.resume();
    expect(answer.statusCode).toBe(503);
    expect(answer.headers.connection).not.toBe('close');
  });

  it('an event stream stays open through silences longer than the upstream timeout', async () => {
    const controller = new AbortController();
    const res = await streamClient(`${urlOf(shortTimeoutGateway)}/api/v1/notifications/stream`, {
      headers: { accept: 'text/event-stream' },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    // Two events are one silence of EVENT_INTERVAL_MS, over twice the timeout.
    while ((text.match(/^data: /gm) ?? []).length < 2) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    controller.abort();
    expect(text).toContain('data: {"n":2}');
  });

  it('an event stream does not hold up the gateway’s own shutdown: it is ended, and so is its upstream call', async () => {
    const closing = await startGateway(Object.fromEntries(UPSTREAMS.map((u) => [u.name, upstream.url])));
    const res = await streamClient(`${urlOf(closing)}/api/v1/notifications/stream?tag=shutdown`, { headers: { accept: 'text/event-stream' } });
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('data: {"n":1}');
    await closing.close();
    let rest = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    // Ended cleanly long before the service's stream would have (ten events, one a second).
    expect(rest).not.toContain('data: {"n":10}');
    await waitFor(() => closedStreams.has('shutdown'), { what: 'the upstream stream to be dropped' });
  });

  it('a plain call that goes silent mid-body is still cut by the timeout', async () => {
    const res = await streamClient(`${urlOf(shortTimeoutGateway)}/api/v1/notifications/stream`);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    const cut = await (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return false;
        text += new TextDecoder().decode(value);
      }
    })().catch(() => true);
    // Cut (not ended as if complete) before the second event, one EVENT_INTERVAL_MS in.
    expect(cut).toBe(true);
    expect(text).toBe('id: 1\ndata: {"n":1}\n\n');
  });
});

describe('bodies past the limit', () => {
  /** A chunked upload (no Content-Length), written until the gateway answers or `max` bytes are out. */
  async function chunkedUpload(max: number): Promise<{ status: number; body: any; written: number }> {
    const token = await tokenFor();
    return new Promise((resolve, reject) => {
      let written = 0;
      let answered = false;
      const req = httpRequest(`${base}/api/v1/compliance/upload`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked', authorization: `Bearer ${token}` },
      });
      req.on('response', (res) => {
        answered = true;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode!, body: JSON.parse(text), written });
        });
      });
      req.on('error', (error) => {
        if (!answered) reject(error);
      });
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const writeMore = () => {
        while (!answered && written < max) {
          written += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', writeMore);
        }
        if (!answered) req.end();
      };
      writeMore();
    });
  }

  it('a chunked body under the limit streams through', async () => {
    const res = await chunkedUpload(BODY_LIMIT / 2);
    expect(res.status).toBe(201);
    expect(res.body.data).toEqual({ bytes: BODY_LIMIT / 2 });
  });

  it('a chunked body over the limit gets the 413 envelope and the service never gets all of it', async () => {
    const before = statsOf('compliance');
    const res = await chunkedUpload(16 * BODY_LIMIT);
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ success: false, error: { code: 'PAYLOAD_TOO_LARGE' }, metadata: { version: 'v1' } });
    const upload = uploads.at(-1)!;
    await waitFor(() => upload.closed, { what: 'the upstream request to be aborted' });
    expect(upload.completed).toBe(false);
    expect(upload.bytes).toBeLessThanOrEqual(BODY_LIMIT);
    // Not the service's failure.
    expect(statsOf('compliance').failures - before.failures).toBe(0);
  });
});

describe('a service that answers before it has read the whole body', () => {
  it('leaves the client connection usable: the rest of the upload is read off, and the next request on it is served', async () => {
    // One connection: the second request can only go where the first one went.
    const oneConnection = new Agent({ connections: 1, pipelining: 1 });
    try {
      const token = await tokenFor();
      // Far more than the socket buffers hold: the service's 404 (no such route) arrives while
      // the gateway is still streaming the upload to it.
      const upload = await undiciFetch(`${base}/api/v1/products/imports`, {
        method: 'POST',
        headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` },
        body: 'sku,name\n'.repeat(400_000),
        dispatcher: oneConnection,
      });
      expect(upload.status).toBe(404);
      await upload.text();
      const next = await undiciFetch(`${base}/api/v1/orders/ping`, { headers: { authorization: `Bearer ${token}` }, dispatcher: oneConnection, signal: AbortSignal.timeout(10_000) });
      expect(next.status).toBe(200);
      expect(await next.json()).toMatchObject({ data: { pong: true } });
    } finally {
      await oneConnection.close();
    }
  });
});

describe('the client address', () => {
  it('is appended to X-Forwarded-For, so the chain starts with the client', async () => {
    const res = await call('/api/v1/auth/headers', { headers: { 'x-forwarded-for': '203.0.113.7' } });
    expect(res.body.data.forwardedFor).toBe('203.0.113.7, 127.0.0.1');
    const direct = await call('/api/v1/auth/headers');
    expect(direct.body.data.forwardedFor).toBe('127.0.0.1');
  });
});
