import { createContext, useContext, useEffect, useMemo, useRef, useSyncExternalStore, type ReactNode } from 'react';
import { getCounts, getLive } from '../api/endpoints';
import { session } from '../auth/current';
import { SESSION_ENDED_MESSAGE } from '../auth/session';
import type { LiveMessage } from './messages';
import { LiveSocket, type ConnectionState } from './socket';
import { applyMessage, applySnapshot, emptyLiveState, HISTORY_SPAN_MS, seedHistory, type LiveState } from './state';

type Listener = () => void;

/** Holds the live state outside React; components read it with useSyncExternalStore. */
export class LiveStore {
  state: LiveState = emptyLiveState;
  connection: ConnectionState = 'connecting';
  private listeners = new Set<Listener>();
  /**
   * Count messages applied but not yet rendered (see takeRendered): the time of the frame
   * behind the update when it has one (`frame_at`), else the server's publish time (`at`).
   */
  private unrendered: { at: number; fromFrame: boolean }[] = [];
  private messageListeners = new Set<(m: LiveMessage) => void>();

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Raw messages, for pages that keep their own lists (events of one camera). */
  onMessage(listener: (m: LiveMessage) => void): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  update(state: LiveState): void {
    if (state === this.state) return;
    this.state = state;
    this.notify();
  }

  setConnection(connection: ConnectionState): void {
    if (connection === this.connection) return;
    this.connection = connection;
    this.notify();
  }

  dispatch(message: LiveMessage): void {
    if (message.type === 'count') {
      // Updates caused by a frame carry its time (`frame_at`, when ffmpeg handed it over);
      // periodic refreshes only the server's.
      const frameAt = message.data.frame_at;
      this.unrendered.push(
        typeof frameAt === 'string'
          ? { at: Date.parse(frameAt), fromFrame: true }
          : { at: Date.parse(message.at), fromFrame: false },
      );
      if (this.unrendered.length > 1000) this.unrendered.shift();
    }
    this.update(applyMessage(this.state, message));
    for (const listener of this.messageListeners) listener(message);
  }

  /** Count messages now on screen (the caller just committed the DOM): their times. */
  takeRendered(): { at: number; fromFrame: boolean }[] {
    const times = this.unrendered;
    this.unrendered = [];
    return times;
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}

const LiveContext = createContext<LiveStore | null>(null);

function wsUrl(): string {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${window.location.host}/api/v1/ws`;
}

/** Runs the live connection while signed in and shares its state. */
export function LiveProvider({ children }: { children: ReactNode }) {
  const store = useMemo(() => new LiveStore(), []);
  const loading = useRef<Promise<void> | null>(null);

  useEffect(() => {
    let cancelled = false;
    const reload = () => {
      // One snapshot load at a time; a resync during a load is covered by that load.
      loading.current ??= getLive()
        .then((rows) => {
          if (!cancelled) store.update(applySnapshot(store.state, rows, Date.now()));
        })
        .catch(() => undefined)
        .finally(() => {
          loading.current = null;
        });
    };
    const socket = new LiveSocket({
      url: wsUrl(),
      token: () => session.freshToken(),
      onMessage: (m) => store.dispatch(m),
      onResync: reload,
      onState: (s) => store.setConnection(s),
      onSessionEnded: () => session.expire(SESSION_ENDED_MESSAGE),
    });
    reload();
    const from = new Date(Date.now() - HISTORY_SPAN_MS).toISOString();
    getCounts(null, { bucket: 'minute', from, limit: 120 })
      .then((page) => {
        if (!cancelled) store.update({ ...store.state, history: seedHistory(page.items, store.state.history) });
      })
      .catch(() => undefined);
    socket.start();
    return () => {
      cancelled = true;
      socket.stop();
    };
  }, [store]);

  return <LiveContext.Provider value={store}>{children}</LiveContext.Provider>;
}

export function useLiveStore(): LiveStore {
  const store = useContext(LiveContext);
  if (!store) throw new Error('useLiveStore outside LiveProvider');
  return store;
}

export function useLiveState(): LiveState {
  const store = useLiveStore();
  return useSyncExternalStore(store.subscribe, () => store.state);
}

export function useConnection(): ConnectionState {
  const store = useLiveStore();
  return useSyncExternalStore(store.subscribe, () => store.connection);
}
