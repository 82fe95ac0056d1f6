/** The WebSocket protocol of `/api/v1/ws` (crates/server/src/routes/live.rs). */
import type { LineCount, ZoneCount } from '../api/types';

export interface CountData {
  /** Occupancy now. */
  people_count: number;
  /** Deltas since the camera's previous count message. */
  people_in: number;
  people_out: number;
  fps?: number;
  /** Totals since the camera started. */
  lines?: LineCount[];
  zones?: ZoneCount[];
}

export interface StatusData {
  status: string;
  reason: string | null;
}

export interface EventData {
  event_type: string;
  timestamp: string;
  severity: string;
  data: Record<string, unknown>;
  id: string | null;
}

interface Numbered<T extends string, D> {
  seq: number;
  type: T;
  camera_id: number | null;
  /** Server time of publication, RFC 3339 UTC. */
  at: string;
  data: D;
}

export type LiveMessage =
  | Numbered<'count', CountData>
  | Numbered<'camera_status', StatusData>
  | Numbered<'event', EventData>
  | Numbered<'alert', Record<string, unknown>>;

export type ControlMessage =
  | { type: 'hello'; last_seq: number }
  | { type: 'resync'; oldest_seq: number }
  | { type: 'auth_expired' }
  | { type: 'session_ended' }
  | { type: 'pong' }
  | { type: 'error'; message: string };

export type ServerMessage = LiveMessage | ControlMessage;

export function isNumbered(m: ServerMessage): m is LiveMessage {
  return typeof (m as { seq?: unknown }).seq === 'number';
}
