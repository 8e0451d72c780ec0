import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RateLimitError, ServiceUnavailableError } from '@foodxchange/service-kit';

export interface ThrottleSettings {
  maxFailures: number;
  windowMs: number;
  lockBaseMs: number;
  lockMaxMs: number;
  ipMaxFailures: number;
  /** Prefix of the counters in Redis (a test run or a benchmark keeps its own). */
  namespace?: string;
}

export const DEFAULT_THROTTLE_NAMESPACE = 'auth:login:';

/** How long a lock's escalation is remembered: a lock after this starts at the base again. */
const ESCALATION_MEMORY_MS = 24 * 3600 * 1000;

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

async function redisCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new ServiceUnavailableError('Sign-in is unavailable right now: try again shortly', { cause: (error as Error).message });
  }
}

/**
 * Brute-force protection: failed logins counted per account and per client address in Redis
 * (shared by every replica). `maxFailures` failures of one account within the window lock it, for
 * `lockBaseMs` the first time and twice as long each time after (up to `lockMaxMs`); a successful
 * login clears the account's count and escalation. An address with `ipMaxFailures` failures in the
 * window (password spraying over many accounts) is refused until its window ends.
 */
export class LoginThrottle {
  private readonly namespace: string;

  constructor(
    private readonly redis: Redis,
    private readonly settings: ThrottleSettings,
  ) {
    this.namespace = settings.namespace ?? DEFAULT_THROTTLE_NAMESPACE;
  }

  /** By account: keyed by the normalised e-mail (hashed), so unknown addresses lock the same way. */
  private accountKey(kind: 'fail' | 'lock' | 'locks', email: string): string {
    return `${this.namespace}${kind}:account:${createHash('sha256').update(email).digest('hex')}`;
  }

  private ipKey(ip: string): string {
    return `${this.namespace}fail:ip:${ip}`;
  }

  /** Throws the 429 (with Retry-After) when the account or the address may not try now. */
  async assertMayTry(email: string, ip: string): Promise<void> {
    const [lockMs, ipFailures, ipTtl] = await redisCall(async () => {
      const results = await this.redis.multi().pttl(this.accountKey('lock', email)).get(this.ipKey(ip)).pttl(this.ipKey(ip)).exec();
      return (results ?? []).map(([error, value]) => {
        if (error) throw error;
        return value;
      }) as [number, string | null, number];
    });
    if (lockMs > 0) {
      throw new RateLimitError('Too many failed sign-ins for this account: it is locked for a while', seconds(lockMs));
    }
    if (Number(ipFailures ?? 0) >= this.settings.ipMaxFailures) {
      throw new RateLimitError('Too many failed sign-ins from your address: try again later', seconds(ipTtl > 0 ? ipTtl : this.settings.windowMs));
    }
  }

  /** Counts a failure; locks the account when it reaches the limit. */
  async recordFailure(email: string, ip: string): Promise<void> {
    const { windowMs, maxFailures, lockBaseMs, lockMaxMs } = this.settings;
    const failures = await redisCall(async () => {
      const results = await this.redis
        .multi()
        .incr(this.accountKey('fail', email))
        .pexpire(this.accountKey('fail', email), windowMs, 'NX')
        .incr(this.ipKey(ip))
        .pexpire(this.ipKey(ip), windowMs, 'NX')
        .exec();
      return Number(results?.[0]?.[1] ?? 0);
    });
    if (failures < maxFailures) return;
    await redisCall(async () => {
      const locks = await this.redis.incr(this.accountKey('locks', email));
      await this.redis.pexpire(this.accountKey('locks', email), ESCALATION_MEMORY_MS);
      const lockMs = Math.min(lockBaseMs * 2 ** Math.min(locks - 1, 30), lockMaxMs);
      // The count starts again after the lock: the next lock needs maxFailures more failures.
      await this.redis.multi().set(this.accountKey('lock', email), String(locks), 'PX', lockMs).del(this.accountKey('fail', email)).exec();
    });
  }

  async recordSuccess(email: string): Promise<void> {
    await redisCall(() => this.redis.del(this.accountKey('fail', email), this.accountKey('locks', email)));
  }
}
