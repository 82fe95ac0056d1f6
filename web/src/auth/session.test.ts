import { describe, expect, it } from 'vitest';
import { Session, SESSION_EXPIRED_MESSAGE } from './session';

const user = { id: 1, username: 'ann', role: 'admin' };

function tokens(access: string, expiresIn = 900) {
  return new Response(JSON.stringify({ access_token: access, token_type: 'Bearer', expires_in: expiresIn, refresh_token: null, user }), { status: 200 });
}

const unauthorized = () => new Response(JSON.stringify({ error: { code: 'unauthorized', message: 'no' } }), { status: 401 });

function harness(responder: (path: string, init: RequestInit | undefined) => Response | Promise<Response>) {
  const calls: { path: string; auth: string | null; body: unknown }[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  let now = 1_000_000;
  const session = new Session({
    fetch: async (path, init) => {
      calls.push({ path, auth: new Headers(init?.headers).get('authorization'), body: init?.body });
      return responder(path, init);
    },
    now: () => now,
    setTimer: (fn, ms) => timers.push({ fn, ms }),
    clearTimer: () => undefined,
  });
  return { session, calls, timers, advance: (ms: number) => (now += ms) };
}

describe('Session', () => {
  it('restores silently from the refresh cookie on page load', async () => {
    const h = harness(() => tokens('a1'));
    await h.session.restore();
    expect(h.session.state).toEqual({ kind: 'signed_in', user });
    expect(h.session.accessToken).toBe('a1');
    expect(h.calls[0]).toMatchObject({ path: '/api/v1/auth/refresh', body: '{}' });
  });

  it('shows the login form without a message when there is no session to restore', async () => {
    const h = harness(() => unauthorized());
    await h.session.restore();
    expect(h.session.state).toEqual({ kind: 'signed_out' });
  });

  it('logs in asking for the refresh cookie and schedules a refresh before expiry', async () => {
    const h = harness(() => tokens('a1', 900));
    await h.session.login('ann', 'pw');
    expect(JSON.parse(String(h.calls[0]!.body))).toEqual({ login: 'ann', password: 'pw', refresh_cookie: true });
    expect(h.timers.at(-1)!.ms).toBe(720_000); // 80 % of 15 min, more than a minute early
  });

  it('shares one refresh between concurrent callers (refresh tokens are single-use)', async () => {
    let refreshes = 0;
    const h = harness((path) => {
      if (path.endsWith('/refresh')) refreshes += 1;
      return tokens(`a${refreshes}`);
    });
    await Promise.all([h.session.refresh(), h.session.refresh(), h.session.refresh()]);
    expect(refreshes).toBe(1);
  });

  it('refreshes and retries once when a request gets 401', async () => {
    let apiCalls = 0;
    const h = harness((path) => {
      if (path.endsWith('/login')) return tokens('old');
      if (path.endsWith('/refresh')) return tokens('new');
      apiCalls += 1;
      return apiCalls === 1 ? unauthorized() : new Response('[]', { status: 200 });
    });
    await h.session.login('ann', 'pw');
    const response = await h.session.fetch('/api/v1/cameras');
    expect(response.status).toBe(200);
    expect(h.calls.filter((c) => c.path === '/api/v1/cameras').map((c) => c.auth)).toEqual(['Bearer old', 'Bearer new']);
  });

  it('ends the session with a message when the refresh is refused', async () => {
    const h = harness((path) => (path.endsWith('/login') ? tokens('a1') : unauthorized()));
    await h.session.login('ann', 'pw');
    const response = await h.session.fetch('/api/v1/cameras');
    expect(response.status).toBe(401);
    expect(h.session.state).toEqual({ kind: 'signed_out', message: SESSION_EXPIRED_MESSAGE });
    expect(h.session.accessToken).toBeNull();
  });

  it('refreshes ahead of use when the token is about to expire', async () => {
    let n = 0;
    const h = harness(() => tokens(`a${++n}`, 900));
    await h.session.login('ann', 'pw');
    expect(await h.session.freshToken()).toBe('a1');
    h.advance(880_000);
    expect(await h.session.freshToken()).toBe('a2');
  });

  it('keeps the session through a network error and tries again later', async () => {
    let fail = false;
    const h = harness(() => {
      if (fail) throw new TypeError('network down');
      return tokens('a1');
    });
    await h.session.login('ann', 'pw');
    fail = true;
    expect(await h.session.refresh()).toBe(false);
    expect(h.session.state.kind).toBe('signed_in');
    expect(h.timers.at(-1)!.ms).toBe(5_000);
  });

  it('logs out on the server with the bearer token and forgets it', async () => {
    const h = harness(() => tokens('a1'));
    await h.session.login('ann', 'pw');
    await h.session.logout();
    expect(h.calls.at(-1)).toMatchObject({ path: '/api/v1/auth/logout', auth: 'Bearer a1' });
    expect(h.session.state).toEqual({ kind: 'signed_out' });
  });
});
