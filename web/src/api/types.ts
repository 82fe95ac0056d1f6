/**
 * The API's types, from the generated OpenAPI schema (`npm run gen:api`). Where the
 * document only says "object" (lines, zones, count buckets, live messages), the shapes
 * are spelled out here from the server's Rust types.
 */
import type { components, paths } from './schema';

type Schemas = components['schemas'];

export type AuthStatus = Schemas['AuthStatus'];
export type User = Schemas['UserView'];
export type Role = 'viewer' | 'user' | 'admin';
export type TokenResponse = Schemas['TokenResponse'];
export type SessionView = Schemas['SessionView'];
export type CreateUserRequest = Schemas['CreateUserRequest'];
export type UpdateUserRequest = Schemas['UpdateUserRequest'];
export type SetupRequest = Schemas['SetupRequest'];
export type ChangePasswordRequest = Schemas['ChangePasswordRequest'];
export type CameraSettings = Schemas['CameraSettings'];
export type ProbeResult = Schemas['ProbeResult'];
export type CameraLive = Schemas['CameraLive'];

export type CountsQuery = NonNullable<paths['/api/v1/counts']['get']['parameters']['query']>;
export type AuditQuery = NonNullable<paths['/api/v1/audit']['get']['parameters']['query']>;
export type EventQuery = NonNullable<paths['/api/v1/events']['get']['parameters']['query']>;

/** A point in normalised image coordinates: 0..1, x right, y down. */
export interface Point {
  x: number;
  y: number;
}

export type Side = 'left' | 'right';

/** footfall_core LineConfig; the fields the editor does not touch pass through unchanged. */
export interface LineConfig {
  name: string;
  start: Point;
  end: Point;
  /** Side a crossing ends on to count as "in", looking from start to end on screen. */
  in: Side;
  [passThrough: string]: unknown;
}

/** footfall_core ZoneConfig. */
export interface ZoneConfig {
  name: string;
  polygon: Point[];
  [passThrough: string]: unknown;
}

export type Camera = Omit<Schemas['CameraView'], 'lines' | 'zones'> & {
  lines: LineConfig[];
  zones: ZoneConfig[];
};

/** The editor always sends every setting (the server would default the missing ones). */
export type CameraInput = Omit<Schemas['CameraInput'], 'lines' | 'zones' | 'settings'> & {
  settings: CameraSettings;
  lines: LineConfig[];
  zones: ZoneConfig[];
};

/** One bucket of `GET /counts` (bucket minute / hour / day / month). */
export interface CountBucket {
  /** Bucket start, RFC 3339 with the query time zone's offset. */
  start: string;
  people_in: number;
  people_out: number;
  peak_count: number;
  avg_count: number;
  detection_count: number;
  avg_confidence: number | null;
  samples: number;
}

export type CountsPage = Omit<Schemas['CountsPage'], 'items'> & { items: CountBucket[] };

/** A stored camera event (`GET /events`). */
export interface CameraEvent {
  id: number;
  camera_id: number;
  event_type: string;
  event_data: Record<string, unknown>;
  timestamp: string;
  confidence_score: number | null;
  severity: string;
  is_processed: boolean;
  created_at: string;
}

/** The event type the live service stores for camera status changes. */
export const STATUS_CHANGE_EVENT = 'status_change';

/** A row of `GET /audit`. */
export interface AuditEntry {
  id: number;
  timestamp: string;
  user_id: number | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  old_values: unknown;
  new_values: unknown;
  ip_address: string | null;
  user_agent: string | null;
}

/** Per-line and per-zone totals since the camera started (live state and count messages). */
export type LineCount = Schemas['LineTotal'];
export type ZoneCount = Schemas['ZoneNow'];
