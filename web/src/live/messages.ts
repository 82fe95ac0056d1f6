/**
 * The WebSocket protocol of `/api/v1/ws`, as generated from the server's Rust types
 * (`footfall_live::message` for the numbered live messages, `routes::live` for the
 * control messages) through the OpenAPI document (`npm run gen:api`).
 */
import type { components } from '../api/schema';

type Schemas = components['schemas'];

/** A numbered live message: `{seq, camera_id, at, type, data}`. */
export type LiveMessage = Schemas['LiveMessage'];
export type CountData = Schemas['CountUpdate'];
export type StatusData = Schemas['StatusUpdate'];
export type EventData = Schemas['EventUpdate'];

/** What the server says besides live messages (hello, resync, auth_expired, ...). */
export type ControlMessage = Schemas['ControlMessage'];

/** What a client may send. */
export type ClientMessage = Schemas['ClientMessage'];

export type ServerMessage = LiveMessage | ControlMessage;

export function isNumbered(m: ServerMessage): m is LiveMessage {
  return typeof (m as { seq?: unknown }).seq === 'number';
}
