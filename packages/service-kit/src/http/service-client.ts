import CircuitBreaker from 'opossum';
import { Agent, request, type Dispatcher } from 'undici';
import { Gauge, type Registry } from 'prom-client';
import { ServiceUnavailableError } from './errors.js';
import { CORRELATION_ID_HEADER } from './request-context.js';

export interface ServiceClientOptions {
  /** The service being called, for errors, logs and metrics. */
  name: string;
  baseUrl: string;
  /** A call slower than this counts as a failure and is abandoned. */
  timeoutMs?: number;
  /** Percentage of failures in the rolling window that opens the breaker. */
  errorThresholdPercentage?: number;
  /** How long the breaker stays open before letting one trial call through. */
  resetTimeoutMs?: number;
  /** Calls needed in the window before the breaker may open at all. */
  volumeThreshold?: number;
  metrics?: Registry;
}

export interface ServiceResponse<T> {
  status: number;
  body: T;
}

export interface CallOptions {
  headers?: Record<string, string>;
  correlationId?: string;
  /** Answer when the service is unavailable or the breaker is open, instead of a 503. */
  fallback?: () => unknown;
}

class UpstreamFailure extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'UpstreamFailure';
  }
}

type Call = { method: Dispatcher.HttpMethod; path: string; body?: unknown; headers: Record<string, string> };

/**
 * HTTP calls from one service to another (DESIGN.md: guarded by an opossum circuit breaker with a
 * fallback). Server errors, timeouts and refused connections count against the breaker; a 4xx
 * is the caller's answer, returned as is. While the breaker is open, calls fail at once.
 */
/**
 * One gauge per registry, `service_client_breaker_open{upstream}`: 1 while the breaker towards
 * that upstream is open. Every client of an app registers its breaker in it (an app may call
 * several services), read when Prometheus scrapes.
 */
const breakerGauges = new WeakMap<Registry, Map<string, { opened: boolean }>>();

function breakerGauge(registry: Registry): Map<string, { opened: boolean }> {
  let breakers = breakerGauges.get(registry);
  if (breakers) return breakers;
  const known = (breakers = new Map());
  breakerGauges.set(registry, known);
  new Gauge({
    name: 'service_client_breaker_open',
    help: '1 while the circuit breaker of a service-to-service client towards `upstream` is open',
    labelNames: ['upstream'] as const,
    registers: [registry],
    collect() {
      for (const [upstream, breaker] of known) this.set({ upstream }, breaker.opened ? 1 : 0);
    },
  });
  return known;
}

export class ServiceClient {
  readonly breaker: CircuitBreaker<[Call], ServiceResponse<unknown>>;
  private readonly agent: Agent;

  constructor(private readonly options: ServiceClientOptions) {
    const timeout = options.timeoutMs ?? 3000;
    this.agent = new Agent({ connect: { timeout: Math.min(timeout, 2000) }, keepAliveTimeout: 10_000 });
    this.breaker = new CircuitBreaker((call: Call) => this.send(call, timeout), {
      name: options.name,
      timeout,
      errorThresholdPercentage: options.errorThresholdPercentage ?? 50,
      resetTimeout: options.resetTimeoutMs ?? 10_000,
      volumeThreshold: options.volumeThreshold ?? 5,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
    });
    if (options.metrics) breakerGauge(options.metrics).set(options.name, this.breaker);
  }

  get<T>(path: string, options: CallOptions = {}): Promise<ServiceResponse<T>> {
    return this.call<T>('GET', path, undefined, options);
  }

  post<T>(path: string, body: unknown, options: CallOptions = {}): Promise<ServiceResponse<T>> {
    return this.call<T>('POST', path, body, options);
  }

  async close(): Promise<void> {
    this.breaker.shutdown();
    await this.agent.close();
  }

  private async call<T>(
    method: Dispatcher.HttpMethod,
    path: string,
    body: unknown,
    options: CallOptions,
  ): Promise<ServiceResponse<T>> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.correlationId) headers[CORRELATION_ID_HEADER] = options.correlationId;
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      return (await this.breaker.fire({ method, path, body, headers })) as ServiceResponse<T>;
    } catch (error) {
      if (options.fallback) return { status: 200, body: options.fallback() as T };
      const reason = this.breaker.opened ? 'circuit open' : (error as Error).message;
      throw new ServiceUnavailableError(`The ${this.options.name} service is unavailable`, { reason });
    }
  }

  private async send(call: Call, timeout: number): Promise<ServiceResponse<unknown>> {
    const res = await request(new URL(call.path, this.options.baseUrl), {
      method: call.method,
      headers: call.headers,
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
      dispatcher: this.agent,
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
    const text = await res.body.text();
    if (res.statusCode >= 500) throw new UpstreamFailure(`${this.options.name} answered ${res.statusCode}`, res.statusCode);
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: hand back the text */
    }
    return { status: res.statusCode, body: parsed };
  }
}
