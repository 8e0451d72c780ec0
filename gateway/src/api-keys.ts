import { createHash } from 'node:crypto';
import { AuthenticationError, ServiceClient } from '@foodxchange/service-kit';

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
 */
export class ApiKeyExchange {
  private readonly cache = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<CachedToken>>();

  constructor(private readonly auth: ServiceClient) {}

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
    const res = await this.auth.post<{ data?: { accessToken?: string; expiresIn?: number }; error?: { message?: string } }>(
      '/api/v1/auth/api-keys/token',
      undefined,
      { headers: { [API_KEY_HEADER]: apiKey }, ...(correlationId ? { correlationId } : {}) },
    );
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

  async close(): Promise<void> {
    await this.auth.close();
  }
}
