import { describe, expect, it } from 'vitest';
import { LiveSocket, reconnectDelay, type ConnectionState, type SocketLike } from './socket';
import type { LiveMessage } from './messages';

class FakeSocket implements SocketLike {
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  sent: unknown[] = [];
  closed = false;
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.closed = true;
  }
  receive(message: object) {
    this.onmessage?.({ data: JSON.stringify(message) } as MessageEvent);
  }
  drop() {
    this.onclose?.({} as CloseEvent);
  }
}

function count(seq: number, people_count = seq): object {
  return { seq, type: 'count', camera_id: 1, at: `2026-01-01T00:00:0${seq}Z`, data: { people_count, people_in: 1, people_out: 0 } };
}

function harness(tokens: (string | null)[] = ['t1', 't2', 't3', 't4']) {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const delivered: number[] = [];
  const states: ConnectionState[] = [];
  let resyncs = 0;
  let sessionEnded = 0;
  let tokenIndex = 0;
  const clock = { now: 0 };
  const live = new LiveSocket({
    url: 'ws://host/api/v1/ws',
    token: async () => tokens[Math.min(tokenIndex++, tokens.length - 1)] ?? null,
    onMessage: (m: LiveMessage) => delivered.push(m.seq),
    onResync: () => (resyncs += 1),
    onState: (s) => states.push(s),
    onSessionEnded: () => (sessionEnded += 1),
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    setTimer: (fn, ms) => timers.push({ fn, ms }),
    clearTimer: () => undefined,
    random: () => 0,
    now: () => clock.now,
  });
  const flush = () => new Promise((r) => setTimeout(r, 0));
  return { live, clock, sockets, timers, delivered, states, resyncs: () => resyncs, sessionEnded: () => sessionEnded, flush };
}

describe('LiveSocket', () => {
  it('connects with the token, delivers in order and drops duplicate sequence numbers', async () => {
    const h = harness();
    h.live.start();
    await h.flush();
    expect(h.sockets[0]!.url).toBe('ws://host/api/v1/ws?access_token=t1');
    h.sockets[0]!.receive({ type: 'hello', last_seq: 0 });
    expect(h.states).toEqual(['connecting', 'open']);
    h.sockets[0]!.receive(count(1));
    h.sockets[0]!.receive(count(2));
    h.sockets[0]!.receive(count(2));
    h.sockets[0]!.receive(count(1));
    expect(h.delivered).toEqual([1, 2]);
  });

  it('reconnects after a drop and resumes from the last sequence number', async () => {
    const h = harness();
    h.live.start();
    await h.flush();
    h.sockets[0]!.receive({ type: 'hello', last_seq: 0 });
    h.sockets[0]!.receive(count(1));
    h.sockets[0]!.receive(count(2));
    h.sockets[0]!.drop();
    expect(h.states.at(-1)).toBe('down');
    const reconnect = h.timers.find((t) => t.ms === reconnectDelay(0, () => 0))!;
    reconnect.fn();
    await h.flush();
    expect(h.sockets[1]!.url).toBe('ws://host/api/v1/ws?access_token=t2&since=2');
    h.sockets[1]!.receive({ type: 'hello', last_seq: 4 });
    // The replay may overlap what was delivered before the drop.
    for (const seq of [2, 3, 4]) h.sockets[1]!.receive(count(seq));
    expect(h.delivered).toEqual([1, 2, 3, 4]);
    expect(h.resyncs()).toBe(0);
  });

  it('backs off exponentially up to 10 s and resets after a successful hello', () => {
    const none = () => 0;
    expect([0, 1, 2, 3, 4, 5, 6].map((a) => reconnectDelay(a, none))).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
    expect(reconnectDelay(10, () => 1)).toBe(10_000);
  });

  it('asks for a reload on resync and when the server restarted its numbering', async () => {
    const h = harness();
    h.live.start();
    await h.flush();
    h.sockets[0]!.receive({ type: 'hello', last_seq: 0 });
    h.sockets[0]!.receive(count(5));
    h.sockets[0]!.receive({ type: 'resync', oldest_seq: 3 });
    expect(h.resyncs()).toBe(1);
    h.sockets[0]!.drop();
    h.timers.at(-1)!.fn();
    await h.flush();
    // Restarted server: its last_seq (1) is behind ours (5); seq 1 must not be dropped.
    h.sockets[1]!.receive({ type: 'hello', last_seq: 0 });
    expect(h.resyncs()).toBe(2);
    h.sockets[1]!.receive(count(1));
    expect(h.delivered).toEqual([5, 1]);
  });

  it('answers auth_expired with a fresh token', async () => {
    const h = harness();
    h.live.start();
    await h.flush();
    h.sockets[0]!.receive({ type: 'hello', last_seq: 0 });
    h.sockets[0]!.receive({ type: 'auth_expired' });
    await h.flush();
    expect(h.sockets[0]!.sent).toContainEqual({ type: 'auth', access_token: 't2' });
  });

  it('stops and reports it when the server ends the session', async () => {
    const h = harness();
    h.live.start();
    await h.flush();
    h.sockets[0]!.receive({ type: 'hello', last_seq: 0 });
    h.sockets[0]!.receive({ type: 'session_ended' });
    h.sockets[0]!.drop();
    await h.flush();
    expect(h.sessionEnded()).toBe(1);
    expect(h.sockets[0]!.closed).toBe(true);
    expect(h.states.at(-1)).toBe('stopped');
    expect(h.sockets).toHaveLength(1);
  });

  it('stops when the session is over instead of reconnecting', async () => {
    const h = harness([null]);
    h.live.start();
    await h.flush();
    expect(h.sockets).toHaveLength(0);
    expect(h.states.at(-1)).toBe('stopped');
  });

  it('closes a silent connection and reconnects', async () => {
    const h = harness();
    h.live.start();
    await h.flush();
    h.sockets[0]!.receive({ type: 'hello', last_seq: 0 });
    h.clock.now = 20_000;
    h.timers.at(-1)!.fn(); // heartbeat: still fresh enough, pings
    expect(h.sockets[0]!.sent).toContainEqual({ type: 'ping' });
    h.clock.now = 60_000;
    h.timers.at(-1)!.fn(); // heartbeat: 60 s of silence
    expect(h.sockets[0]!.closed).toBe(true);
    expect(h.states.at(-1)).toBe('down');
  });
});
