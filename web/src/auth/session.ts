import { ApiError, errorFromResponse } from '../api/errors';
import type { TokenResponse, User } from '../api/types';

export const SESSION_EXPIRED_MESSAGE = 'Your session has expired, please log in again';
export const SESSION_ENDED_MESSAGE = 'Your session was ended (logged out elsewhere, or your account changed); please log in again';

export type SessionState =
  /** At page load, while the refresh cookie is being tried. */
  | { kind: 'restoring' }
  | { kind: 'signed_out'; message?: string }
  | { kind: 'signed_in'; user: User };

export interface SessionDeps {
  fetch: (input: string, init?: RequestInit) => Promise<Response>;
  now: () => number;
  setTimer: (fn: () => void, ms: number) => unknown;
  clearTimer: (handle: unknown) => void;
}

/** Refresh this long before the access token expires, so no request carries a stale one. */
const REFRESH_MARGIN_MS = 60_000;
/** Never schedule refreshes closer together than this (tiny TTLs in tests). */
const MIN_REFRESH_DELAY_MS = 5_000;

/**
 * The signed-in session. The access token lives only in this object (never in storage);
 * the refresh token lives only in the HttpOnly `footfall_refresh` cookie the server sets,
 * so a page load restores the session with `POST /auth/refresh` and nothing script-readable
 * survives a reload.
 */
export class Session {
  private token: string | null = null;
  private expiresAt = 0;
  private timer: unknown = null;
  private inFlight: Promise<boolean> | null = null;
  private listeners = new Set<() => void>();
  state: SessionState = { kind: 'restoring' };

  constructor(private readonly deps: SessionDeps) {}

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get accessToken(): string | null {
    return this.token;
  }

  /** Page load: a valid refresh cookie signs in silently; otherwise show the login form. */
  async restore(): Promise<void> {
    const ok = await this.refresh();
    if (!ok && this.state.kind === 'restoring') this.setState({ kind: 'signed_out' });
  }

  async login(login: string, password: string): Promise<void> {
    const response = await this.deps.fetch('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      credentials: 'same-origin',
      body: JSON.stringify({ login, password, refresh_cookie: true }),
    });
    if (!response.ok) throw await errorFromResponse(response);
    this.accept((await response.json()) as TokenResponse);
  }

  async logout(): Promise<void> {
    const token = this.token;
    this.clear({ kind: 'signed_out' });
    if (token) {
      // Best effort: the local session is gone either way.
      await this.deps
        .fetch('/api/v1/auth/logout', {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
          credentials: 'same-origin',
        })
        .catch(() => undefined);
    }
  }

  /** Ends the session locally after the server said it is over (refresh refused). */
  expire(message = SESSION_EXPIRED_MESSAGE): void {
    const wasSignedIn = this.state.kind === 'signed_in';
    this.clear(wasSignedIn ? { kind: 'signed_out', message } : { kind: 'signed_out' });
  }

  /** A token that is valid now, refreshing first when it is about to expire. */
  async freshToken(): Promise<string | null> {
    if (this.token && this.deps.now() < this.expiresAt - REFRESH_MARGIN_MS / 2) return this.token;
    return (await this.refresh()) ? this.token : null;
  }

  /**
   * Rotates the refresh cookie for a new access token. Concurrent callers share one
   * request: the refresh token is single-use, and two parallel refreshes would make the
   * server see a replayed token and revoke the whole session.
   */
  refresh(): Promise<boolean> {
    this.inFlight ??= this.doRefresh().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async doRefresh(): Promise<boolean> {
    let response: Response;
    try {
      response = await this.deps.fetch('/api/v1/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        credentials: 'same-origin',
        body: '{}',
      });
    } catch {
      // Network down: keep the session, the next request or timer tries again.
      if (this.state.kind === 'signed_in') this.schedule(MIN_REFRESH_DELAY_MS);
      return false;
    }
    if (response.ok) {
      this.accept((await response.json()) as TokenResponse);
      return true;
    }
    if (response.status === 401 || response.status === 403) {
      this.expire();
    } else if (this.state.kind === 'signed_in') {
      this.schedule(MIN_REFRESH_DELAY_MS);
    }
    return false;
  }

  /**
   * fetch with the bearer token. A 401 gets one retry after a refresh (the token may have
   * expired in flight); a second 401 means the session is over.
   */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const token = await this.freshToken();
    if (!token) throw new ApiError(401, { code: 'unauthorized', message: SESSION_EXPIRED_MESSAGE });
    const response = await this.deps.fetch(path, withBearer(init, token));
    if (response.status !== 401) return response;
    if (!(await this.refresh()) || !this.token) return response;
    return this.deps.fetch(path, withBearer(init, this.token));
  }

  private accept(tokens: TokenResponse): void {
    this.token = tokens.access_token;
    const ttlMs = tokens.expires_in * 1000;
    this.expiresAt = this.deps.now() + ttlMs;
    this.schedule(Math.max(MIN_REFRESH_DELAY_MS, Math.min(ttlMs - REFRESH_MARGIN_MS, ttlMs * 0.8)));
    this.setState({ kind: 'signed_in', user: tokens.user });
  }

  private schedule(delayMs: number): void {
    if (this.timer !== null) this.deps.clearTimer(this.timer);
    this.timer = this.deps.setTimer(() => {
      this.timer = null;
      void this.refresh();
    }, delayMs);
  }

  private clear(state: SessionState): void {
    this.token = null;
    this.expiresAt = 0;
    if (this.timer !== null) this.deps.clearTimer(this.timer);
    this.timer = null;
    this.setState(state);
  }

  private setState(state: SessionState): void {
    this.state = state;
    for (const listener of this.listeners) listener();
  }
}

function withBearer(init: RequestInit, token: string): RequestInit {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return { ...init, headers, credentials: 'same-origin' };
}
