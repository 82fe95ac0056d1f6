import { isNumbered, type ClientMessage, type LiveMessage, type ServerMessage } from './messages';

export type ConnectionState = 'connecting' | 'open' | 'down' | 'stopped';

/** The part of the browser WebSocket this client uses (tests pass a fake). */
export interface SocketLike {
  onopen: ((ev: Event) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
  send(data: string): void;
  close(code?: number): void;
}

export interface LiveSocketOptions {
  /** `ws://host/api/v1/ws` without query. */
  url: string;
  /** A valid access token, or null when the session is over (stops reconnecting). */
  token: () => Promise<string | null>;
  onMessage: (message: LiveMessage) => void;
  /** Messages were missed beyond the replay window (or the server restarted): reload state. */
  onResync: () => void;
  onState: (state: ConnectionState) => void;
  /** The server ended the connection because the session is over (logged out elsewhere,
   * account deactivated, password reset): the socket stops; sign the user out. */
  onSessionEnded?: () => void;
  createSocket?: (url: string) => SocketLike;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  now?: () => number;
  random?: () => number;
}

/** Reconnect delays: 0.5 s doubling to 10 s, each with up to 50 % jitter so a restarted
 * server is not hit by every dashboard at the same instant. */
export function reconnectDelay(attempt: number, random: () => number): number {
  const base = Math.min(10_000, 500 * 2 ** attempt);
  return Math.round(base * (0.5 + random() * 0.5));
}

/** Application ping period, and how long silence may last before the link is presumed
 * dead (a sleeping laptop or a dropped NAT entry never delivers a close). */
const PING_EVERY_MS = 20_000;
const SILENCE_LIMIT_MS = 45_000;

/**
 * The live connection: connects with the current token, resumes after any drop with
 * `since=<last seq>` so nothing is missed or seen twice, answers `auth_expired` with a
 * fresh token, stops on `session_ended`, and reconnects with backoff until stopped.
 */
export class LiveSocket {
  private socket: SocketLike | null = null;
  private lastSeq: number | null = null;
  private attempt = 0;
  private stopped = true;
  private reconnectTimer: unknown = null;
  private heartbeatTimer: unknown = null;
  private lastHeard = 0;
  private readonly createSocket: (url: string) => SocketLike;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly options: LiveSocketOptions) {
    this.createSocket = options.createSocket ?? ((url) => new WebSocket(url) as SocketLike);
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** The sequence number of the last message delivered (null before the first). */
  get seq(): number | null {
    return this.lastSeq;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimers();
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000);
    this.options.onState('stopped');
  }

  private async connect(): Promise<void> {
    this.options.onState('connecting');
    const token = await this.options.token();
    if (this.stopped) return;
    if (!token) {
      this.stop();
      return;
    }
    const params = new URLSearchParams({ access_token: token });
    if (this.lastSeq !== null) params.set('since', String(this.lastSeq));
    const socket = this.createSocket(`${this.options.url}?${params}`);
    this.socket = socket;
    socket.onmessage = (ev) => {
      if (this.socket === socket) this.receive(String(ev.data));
    };
    socket.onclose = () => {
      if (this.socket === socket) this.dropped();
    };
    // Errors are always followed by a close, which handles them.
    socket.onerror = () => undefined;
  }

  private receive(text: string): void {
    let message: ServerMessage;
    try {
      message = JSON.parse(text) as ServerMessage;
    } catch {
      return;
    }
    this.lastHeard = this.now();
    if (isNumbered(message)) {
      // Replays after a resume can overlap what was already delivered.
      if (this.lastSeq !== null && message.seq <= this.lastSeq) return;
      this.lastSeq = message.seq;
      this.options.onMessage(message);
      return;
    }
    switch (message.type) {
      case 'hello':
        this.attempt = 0;
        this.startHeartbeat();
        this.options.onState('open');
        if (this.lastSeq !== null && message.last_seq < this.lastSeq) {
          // The server restarted and numbers from 1 again: our position means nothing.
          this.lastSeq = message.last_seq;
          this.options.onResync();
        }
        break;
      case 'resync':
        this.options.onResync();
        break;
      case 'auth_expired':
        void this.reauthenticate();
        break;
      case 'session_ended':
        this.stop();
        this.options.onSessionEnded?.();
        break;
      case 'pong':
      case 'error':
        break;
    }
  }

  private async reauthenticate(): Promise<void> {
    const socket = this.socket;
    const token = await this.options.token();
    if (this.socket !== socket || !socket) return;
    if (token) socket.send(clientMessage({ type: 'auth', access_token: token }));
    else this.stop();
  }

  private dropped(): void {
    this.socket = null;
    this.cancelTimers();
    if (this.stopped) return;
    this.options.onState('down');
    const delay = reconnectDelay(this.attempt, this.random);
    this.attempt += 1;
    this.reconnectTimer = this.setTimer(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, delay);
  }

  private startHeartbeat(): void {
    if (this.heartbeatTimer !== null) this.clearTimer(this.heartbeatTimer);
    this.heartbeatTimer = this.setTimer(() => {
      this.heartbeatTimer = null;
      const socket = this.socket;
      if (!socket) return;
      if (this.now() - this.lastHeard > SILENCE_LIMIT_MS) {
        // Presumed dead: close it ourselves and reconnect.
        socket.close(4000);
        this.dropped();
        return;
      }
      socket.send(clientMessage({ type: 'ping' }));
      this.startHeartbeat();
    }, PING_EVERY_MS);
  }

  private cancelTimers(): void {
    if (this.reconnectTimer !== null) this.clearTimer(this.reconnectTimer);
    if (this.heartbeatTimer !== null) this.clearTimer(this.heartbeatTimer);
    this.reconnectTimer = null;
    this.heartbeatTimer = null;
  }
}

/** A client message as sent (typed, so it cannot drift from the server's). */
function clientMessage(message: ClientMessage): string {
  return JSON.stringify(message);
}
