/**
 * The signed-in session, outside React so the API client can use it too.
 *
 * The access token lives in memory only (never in storage page script could leak). The refresh
 * token is an HttpOnly cookie that auth sets when a request carries `x-token-transport: cookie`
 * (SameSite=Strict, path /api/v1/auth): script never sees it, and a reload restores the session
 * with one POST /auth/refresh. Each refresh rotates the cookie; a reused one ends the sign-in
 * everywhere, and this store then says signed out.
 */
export type Role = 'buyer' | 'supplier' | 'admin' | 'super_admin';

export interface SessionUser {
  id: string;
  email: string;
  role: Role;
  companyId?: string;
}

export type SessionState =
  | { status: 'restoring' }
  | { status: 'signedOut'; reason?: string }
  | { status: 'signedIn'; user: SessionUser; accessToken: string; expiresAt: number };

export interface TokenAnswer {
  user: SessionUser;
  accessToken: string;
  expiresIn: number;
}

export const COOKIE_TRANSPORT = { 'x-token-transport': 'cookie' } as const;
const REFRESH_URL = '/api/v1/auth/refresh';
/** Refresh this long before the access token expires, so calls rarely meet a 401. */
const EARLY_REFRESH_MS = 30_000;

type Listener = () => void;

export class SessionStore {
  private state: SessionState = { status: 'restoring' };
  private readonly listeners = new Set<Listener>();
  private refreshing: Promise<boolean> | undefined;

  constructor(private readonly fetchImpl: typeof fetch = (...args) => fetch(...args)) {}

  getState = (): SessionState => this.state;

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private set(state: SessionState) {
    this.state = state;
    for (const listener of this.listeners) listener();
  }

  signedIn(answer: TokenAnswer) {
    this.set({ status: 'signedIn', user: answer.user, accessToken: answer.accessToken, expiresAt: Date.now() + answer.expiresIn * 1000 });
  }

  signedOut(reason?: string) {
    this.set(reason ? { status: 'signedOut', reason } : { status: 'signedOut' });
  }

  /** The access token to send now, refreshed first when it is about to expire. */
  async accessToken(): Promise<string | undefined> {
    const state = this.state;
    if (state.status === 'restoring') {
      await this.refresh();
    } else if (state.status === 'signedIn' && state.expiresAt - Date.now() < EARLY_REFRESH_MS) {
      await this.refresh();
    }
    const now = this.state;
    return now.status === 'signedIn' ? now.accessToken : undefined;
  }

  /**
   * Exchanges the refresh cookie for new tokens. Concurrent callers share one exchange: a second
   * exchange with the same cookie would look like reuse and end the sign-in.
   */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.exchange().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async exchange(): Promise<boolean> {
    const wasSignedIn = this.state.status === 'signedIn';
    let res: Response;
    try {
      res = await this.fetchImpl(REFRESH_URL, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', ...COOKIE_TRANSPORT },
        body: '{}',
      });
    } catch {
      // Offline: keep what we have; the next call tries again.
      if (this.state.status === 'restoring') this.signedOut();
      return false;
    }
    if (res.ok) {
      const body = (await res.json()) as { data: TokenAnswer };
      this.signedIn(body.data);
      return true;
    }
    this.signedOut(wasSignedIn ? 'Your session ended. Please sign in again.' : undefined);
    return false;
  }
}

export const session = new SessionStore();
