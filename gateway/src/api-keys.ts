import { createHash } from 'node:crypto';
import { AuthenticationError, ServiceClient, ServiceUnavailableError } from '@foodxchange/service-kit';

/** The header B2B integrations send their key in (services/auth/README.md, "Gateway contract"). */
export const API_KEY_HEADER = 'x-api-key';

/** `fxk_<24 hex digits>_<secret>`: anything else is refused without asking auth. */
const API_KEY_FORMAT = /^fxk_[0-9a-f]{24}_[A-Za-z0-9_-]{32,128}$/;

/** How long before its expiry a cached token is swapped for a fresh one (clock skew, slow hops). */
const REFRESH_BEFORE_MS = 30_000;
/** Cached exchanges; the oldest is forgotten first past this many keys. */
const MAX_CACHED_KEYS = 10_000;

interface CachedToken {
  token: string;
  expiresAt: number;
}

/**
 * Turns an API key into the short-lived access token auth mints for it, so a key is verified the
 * same way as a sign-in everywhere behind the gateway (each service checks the token itself).
 * Tokens are cached per key (by the key's hash: the secret is not kept) until shortly before they
 * expire; concurrent first uses of one key share one exchange. A revoked key stops at once anyway:
 * the edge reads its revocation mark with the denylist on every request.
 *
 * With several auth replicas (one client, and breaker, each), exchanges take turns, skip a replica
 * whose breaker is open, and move on to the next one when a replica is unavailable: an exchange
 * only mints a short-lived token, so asking a second replica is safe.
 */
export class ApiKeyExchange {
  private readonly cache = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<CachedToken>>();
  private turn = 0;

  /** One client per auth replica. */
  constructor(private readonly auth: readonly ServiceClient[]) {
    if (auth.length === 0) throw new Error('ApiKeyExchange needs at least one auth client');
  }

  async tokenFor(apiKey: string, correlationId?: string): Promise<string> {
    if (!API_KEY_FORMAT.test(apiKey)) throw new AuthenticationError('The API key is not valid');
    const id = createHash('sha256').update(apiKey).digest('base64url');
    const cached = this.cache.get(id);
    if (cached && cached.expiresAt - REFRESH_BEFORE_MS > Date.now()) return cached.token;
    let pending = this.inFlight.get(id);
    if (!pending) {
      pending = this.exchange(id, apiKey, correlationId).finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, pending);
    }
    return (await pending).token;
  }

  /** Forgets a key's token (its revocation was seen). */
  forget(apiKey: string): void {
    this.cache.delete(createHash('sha256').update(apiKey).digest('base64url'));
  }

  private async exchange(id: string, apiKey: string, correlationId?: string): Promise<CachedToken> {
    const res = await this.exchangeAtAuth(apiKey, correlationId);
    const token = res.body?.data?.accessToken;
    const expiresIn = res.body?.data?.expiresIn;
    if (res.status !== 200 || typeof token !== 'string' || typeof expiresIn !== 'number') {
      this.cache.delete(id);
      throw new AuthenticationError(res.body?.error?.message ?? 'The API key is not valid');
    }
    const entry = { token, expiresAt: Date.now() + expiresIn * 1000 };
    if (this.cache.size >= MAX_CACHED_KEYS) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(id, entry);
    return entry;
  }

  /** One exchange at the next auth replica in turn, moving on while replicas are unavailable. */
  private async exchangeAtAuth(apiKey: string, correlationId?: string) {
    const first = this.turn;
    this.turn = (first + 1) % this.auth.length;
    // Replicas whose breaker is open are tried last (and then refuse at once).
    const order = this.auth.map((_, step) => this.auth[(first + step) % this.auth.length]!);
    const candidates = [...order.filter((client) => !client.breaker.opened), ...order.filter((client) => client.breaker.opened)];
    for (let index = 0; ; index += 1) {
      try {
        return await candidates[index]!.post<{ data?: { accessToken?: string; expiresIn?: number }; error?: { message?: string } }>(
          '/api/v1/auth/api-keys/token',
          undefined,
          { headers: { [API_KEY_HEADER]: apiKey }, ...(correlationId ? { correlationId } : {}) },
        );
      } catch (error) {
        if (!(error instanceof ServiceUnavailableError) || index === candidates.length - 1) throw error;
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.auth.map((client) => client.close()));
  }
}
