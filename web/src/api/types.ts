/**
 * The API's types, from the generated OpenAPI schema (`npm run gen:api`), which the server
 * generates from its Rust types: nothing here is spelled out by hand.
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
export type Point = Schemas['Point'];

/** Side of a line, looking from its start to its end on screen. */
export type Side = Schemas['Side'];

/** The "in" side of a line when it does not say (the server's default). */
export const DEFAULT_IN_SIDE: Side = 'left';

/** A counting line (footfall_core LineConfig); fields the editor does not touch keep their values. */
export type LineConfig = Schemas['LineConfig'];

/** A counting zone (footfall_core ZoneConfig). */
export type ZoneConfig = Schemas['ZoneConfig'];

export type Camera = Schemas['CameraView'];

/** The editor always sends every setting (the server would default the missing ones). */
export type CameraInput = Omit<Schemas['CameraInput'], 'settings' | 'lines' | 'zones'> & {
  settings: CameraSettings;
  lines: LineConfig[];
  zones: ZoneConfig[];
};

/** One bucket of `GET /counts` (bucket minute / hour / day / month). */
export type CountBucket = Schemas['BucketRow'];

/** A page of `GET /counts`; the dashboard asks for buckets only, never `bucket=raw`. */
export type CountsPage = Omit<Schemas['CountsPage'], 'items'> & { items: CountBucket[] };

/** A stored camera event (`GET /events`). */
export type CameraEvent = Schemas['CameraEvent'];

/** The event type the live service stores for camera status changes. */
export const STATUS_CHANGE_EVENT = 'status_change';

/** A row of `GET /audit`. */
export type AuditEntry = Schemas['AuditEntry'];

/** Per-line and per-zone totals since the camera started (live state and count messages). */
export type LineCount = Schemas['LineTotal'];
export type ZoneCount = Schemas['ZoneNow'];
