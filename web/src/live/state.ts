/**
 * Live state of every camera, folded from the `GET /live` snapshot and WebSocket messages.
 * Pure functions over immutable values, so the overview re-renders by reference change
 * and the rules are unit-testable.
 */
import type { CameraLive, LineCount, ZoneCount } from '../api/types';
import type { LiveMessage } from './messages';

export interface CameraState {
  camera_id: number;
  people_count: number;
  people_in_today: number;
  people_out_today: number;
  status: string | null;
  status_reason: string | null;
  fps: number | null;
  lines: LineCount[];
  zones: ZoneCount[];
  /** Server time of the last update (RFC 3339), null before any. */
  updated_at: string | null;
}

export interface HistoryPoint {
  /** Milliseconds since the epoch. */
  t: number;
  /** Site occupancy (all cameras) at t. */
  total: number;
}

export interface LiveState {
  cameras: ReadonlyMap<number, CameraState>;
  /** Site occupancy over the last hour, oldest first. */
  history: readonly HistoryPoint[];
}

export const HISTORY_SPAN_MS = 60 * 60 * 1000;
/** Live points closer together than this replace each other (bounds the series to ~3600). */
const HISTORY_STEP_MS = 1000;

export const emptyLiveState: LiveState = { cameras: new Map(), history: [] };

/**
 * A sortable key of an RFC 3339 UTC time with up to nanosecond precision (Date.parse
 * stops at milliseconds; two updates of a camera can fall in the same millisecond).
 */
export function timeKey(at: string): string {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]00:00)$/.exec(at);
  if (!match) return new Date(at).toISOString().replace('Z', '000000');
  return `${match[1]}.${(match[2] ?? '').padEnd(9, '0').slice(0, 9)}`;
}

/** True when `at` is strictly later than the camera's last update. */
function isNewer(camera: CameraState | undefined, at: string): boolean {
  return !camera?.updated_at || timeKey(at) > timeKey(camera.updated_at);
}

function blankCamera(id: number): CameraState {
  return {
    camera_id: id,
    people_count: 0,
    people_in_today: 0,
    people_out_today: 0,
    status: null,
    status_reason: null,
    fps: null,
    lines: [],
    zones: [],
    updated_at: null,
  };
}

/** The UTC day of an RFC 3339 time: the server restarts today's totals at midnight UTC. */
const utcDay = (at: string) => at.slice(0, 10);

export function fromSnapshot(rows: readonly CameraLive[]): Map<number, CameraState> {
  return new Map(
    rows.map((row) => [
      row.camera_id,
      {
        camera_id: row.camera_id,
        people_count: row.people_count,
        people_in_today: row.people_in_today,
        people_out_today: row.people_out_today,
        status: row.status ?? null,
        status_reason: row.status_reason ?? null,
        fps: row.fps ?? null,
        lines: row.lines,
        zones: row.zones,
        updated_at: row.updated_at ?? null,
      },
    ]),
  );
}

/**
 * Replaces the cameras with a fresh snapshot. Messages that arrive while the snapshot is
 * in flight may already be counted in it; `applyMessage` drops those by time.
 */
export function applySnapshot(state: LiveState, rows: readonly CameraLive[], now: number): LiveState {
  const cameras = fromSnapshot(rows);
  return { cameras, history: appendPoint(state.history, now, siteTotals(cameras).occupancy) };
}

export function applyMessage(state: LiveState, message: LiveMessage): LiveState {
  if (message.camera_id === null) return state;
  const id = message.camera_id;
  const before = state.cameras.get(id);
  // A message the snapshot already reflects (same or older time) must not add its deltas again.
  if (!isNewer(before, message.at)) return state;
  const camera = before ?? blankCamera(id);
  let next: CameraState;
  switch (message.type) {
    case 'count': {
      const d = message.data;
      const sameDay = camera.updated_at !== null && utcDay(camera.updated_at) === utcDay(message.at);
      next = {
        ...camera,
        people_count: d.people_count ?? camera.people_count,
        people_in_today: (sameDay ? camera.people_in_today : 0) + (d.people_in ?? 0),
        people_out_today: (sameDay ? camera.people_out_today : 0) + (d.people_out ?? 0),
        // What only a camera running on the server knows (absent for ingest, corrections).
        fps: d.pipeline ? (d.pipeline.fps ?? camera.fps) : camera.fps,
        lines: d.pipeline?.lines ?? camera.lines,
        zones: d.pipeline?.zones ?? camera.zones,
        updated_at: message.at,
      };
      break;
    }
    case 'camera_status':
      next = { ...camera, status: message.data.status, status_reason: message.data.reason ?? null, updated_at: message.at };
      break;
    case 'event':
    case 'alert':
      next = { ...camera, updated_at: message.at };
      break;
  }
  const cameras = new Map(state.cameras);
  cameras.set(id, next);
  const history =
    message.type === 'count'
      ? appendPoint(state.history, Date.parse(message.at), siteTotals(cameras).occupancy)
      : state.history;
  return { cameras, history };
}

export interface SiteTotals {
  occupancy: number;
  in_today: number;
  out_today: number;
  online: number;
  cameras: number;
}

export function siteTotals(cameras: ReadonlyMap<number, CameraState>): SiteTotals {
  const totals: SiteTotals = { occupancy: 0, in_today: 0, out_today: 0, online: 0, cameras: 0 };
  for (const c of cameras.values()) {
    totals.cameras += 1;
    totals.occupancy += c.people_count;
    totals.in_today += c.people_in_today;
    totals.out_today += c.people_out_today;
    if (c.status === 'online') totals.online += 1;
  }
  return totals;
}

/** Adds a point, keeping one per second and the last hour only. */
export function appendPoint(history: readonly HistoryPoint[], t: number, total: number): HistoryPoint[] {
  const cutoff = t - HISTORY_SPAN_MS;
  let start = 0;
  while (start < history.length && history[start]!.t < cutoff) start += 1;
  const kept = history.slice(start);
  const last = kept[kept.length - 1];
  const beforeLast = kept[kept.length - 2];
  if (last && t < last.t) return kept; // out of order: the series only moves forward
  // The newest point slides forward (always showing the latest value) until it is a step
  // past the point before it; then it stays and the next update starts a new one.
  if (last && beforeLast && last.t - beforeLast.t < HISTORY_STEP_MS) kept[kept.length - 1] = { t, total };
  else kept.push({ t, total });
  return kept;
}

/** Seeds the series from per-minute buckets of `GET /counts` (mean site occupancy). */
export function seedHistory(buckets: readonly { start: string; avg_count: number }[], live: readonly HistoryPoint[]): HistoryPoint[] {
  const firstLive = live[0]?.t ?? Infinity;
  const seeded = buckets
    .map((b) => ({ t: Date.parse(b.start), total: b.avg_count }))
    .filter((p) => p.t < firstLive)
    .sort((a, b) => a.t - b.t);
  return [...seeded, ...live];
}
