import { useEffect, useState } from 'react';
import { deleteCamera, getCamera, listEvents } from '../api/endpoints';
import { formError } from '../api/errors';
import { STATUS_CHANGE_EVENT, type CameraEvent } from '../api/types';
import { hasRole, useUser } from '../auth/AuthProvider';
import { session } from '../auth/current';
import { Age, ErrorBanner, StatusBadge, useLoad } from '../components/ui';
import { useLiveState, useLiveStore } from '../live/LiveProvider';
import { timeKey } from '../live/state';
import { Link, navigate } from '../router';
import { formatDateTime } from '../util/time';

const EVENT_LIMIT = 50;

/** A row of the events or status lists, whether it came from the API or the socket. */
interface Row {
  key: string;
  type: string;
  at: string;
  detail: string;
}

function describe(type: string, data: Record<string, unknown>): string {
  if (type === STATUS_CHANGE_EVENT) return [data.status, data.reason].filter(Boolean).join(': ');
  const parts = [
    typeof data.name === 'string' ? data.name : null,
    data.track_id !== undefined ? `track ${String(data.track_id)}` : null,
    typeof data.dwell_s === 'number' ? `${data.dwell_s.toFixed(1)} s inside` : null,
  ];
  return parts.filter(Boolean).join(', ');
}

/** Counting events carry the engine's stable id; other events are keyed by type and time. */
function rowKey(type: string, at: string, data: Record<string, unknown>): string {
  return typeof data.id === 'string' ? data.id : `${type}|${timeKey(at)}`;
}

function fromStored(e: CameraEvent): Row {
  return { key: rowKey(e.event_type, e.timestamp, e.event_data), type: e.event_type, at: e.timestamp, detail: describe(e.event_type, e.event_data) };
}

/** Newest first, without the duplicates a stored row and its live message make. */
function merge(live: Row[], stored: Row[]): Row[] {
  const seen = new Set<string>();
  return [...live, ...stored].filter((r) => !seen.has(r.key) && seen.add(r.key)).slice(0, EVENT_LIMIT);
}

/** The MJPEG stream the server draws boxes, track ids, lines and zones on. */
function LiveView({ cameraId }: { cameraId: number }) {
  const [attempt, setAttempt] = useState(0);
  const [failed, setFailed] = useState(false);
  // The token goes in the URL (an <img> cannot send headers); a new attempt after an
  // error picks up the current, refreshed token.
  const token = session.accessToken ?? '';
  const src = `/api/v1/cameras/${cameraId}/live.mjpeg?fps=2&access_token=${encodeURIComponent(token)}&attempt=${attempt}`;
  useEffect(() => {
    if (!failed) return;
    const timer = setTimeout(() => {
      setFailed(false);
      setAttempt((a) => a + 1);
    }, 3000);
    return () => clearTimeout(timer);
  }, [failed]);
  return (
    <div className="live-view">
      {failed ? (
        <div className="neutral-canvas" role="status">
          No picture (camera not running here): retrying…
        </div>
      ) : (
        <img src={src} alt="Live camera view with detections, lines and zones" onError={() => setFailed(true)} data-testid="mjpeg" />
      )}
    </div>
  );
}

export function CameraDetailPage({ cameraId }: { cameraId: number }) {
  const user = useUser();
  const camera = useLoad(() => getCamera(cameraId), [cameraId]);
  const stored = useLoad(() => listEvents({ camera_id: cameraId, limit: EVENT_LIMIT }), [cameraId]);
  const statuses = useLoad(() => listEvents({ camera_id: cameraId, event_type: STATUS_CHANGE_EVENT, limit: 20 }), [cameraId]);
  const liveState = useLiveState().cameras.get(cameraId);
  const store = useLiveStore();
  const [liveEvents, setLiveEvents] = useState<Row[]>([]);
  const [liveStatuses, setLiveStatuses] = useState<Row[]>([]);
  const [deleteError, setDeleteError] = useState<unknown>(null);

  useEffect(() => {
    setLiveEvents([]);
    setLiveStatuses([]);
    return store.onMessage((m) => {
      if (m.camera_id !== cameraId) return;
      if (m.type === 'event') {
        const row = { key: rowKey(m.data.event_type, m.data.timestamp, m.data.data), type: m.data.event_type, at: m.data.timestamp, detail: describe(m.data.event_type, m.data.data) };
        setLiveEvents((rows) => [row, ...rows].slice(0, EVENT_LIMIT));
      } else if (m.type === 'camera_status') {
        const row = { key: rowKey(STATUS_CHANGE_EVENT, m.at, {}), type: STATUS_CHANGE_EVENT, at: m.at, detail: describe(STATUS_CHANGE_EVENT, { ...m.data }) };
        setLiveStatuses((rows) => [row, ...rows].slice(0, 20));
      }
    });
  }, [store, cameraId]);

  const remove = async () => {
    if (!camera.data || !window.confirm(`Delete camera "${camera.data.name}"? It stops counting; its history is kept (archived).`)) return;
    try {
      await deleteCamera(cameraId);
      navigate('/');
    } catch (err) {
      setDeleteError(err);
    }
  };

  const cam = camera.data;
  const events = merge(liveEvents, (stored.data ?? []).filter((e) => e.event_type !== STATUS_CHANGE_EVENT).map(fromStored));
  const statusRows = merge(liveStatuses, (statuses.data ?? []).map(fromStored));
  const lineCounts = liveState?.lines.length ? liveState.lines : (cam?.lines ?? []).map((l) => ({ name: l.name, people_in: null, people_out: null }));
  const zoneCounts: { name: string; occupancy: number | null; entries?: number; visitors?: number }[] = liveState?.zones.length
    ? liveState.zones
    : (cam?.zones ?? []).map((z) => ({ name: z.name, occupancy: null }));
  const status = liveState?.status ?? cam?.status ?? null;

  return (
    <section aria-labelledby="camera-title">
      <div className="page-head">
        <h1 id="camera-title">{cam?.name ?? `Camera ${cameraId}`}</h1>
        <StatusBadge status={status} />
        {hasRole(user, 'user') && cam && (
          <div className="actions">
            <Link className="button" to={`/cameras/${cameraId}/edit`}>
              Edit
            </Link>
            <button type="button" className="danger" onClick={() => void remove()}>
              Delete
            </button>
          </div>
        )}
      </div>
      <ErrorBanner message={formError(camera.error ?? deleteError, [])} />
      {liveState?.status_reason && status !== 'online' && <p className="reason">{liveState.status_reason}</p>}
      <div className="detail-layout">
        <LiveView cameraId={cameraId} />
        <div className="card">
          <h2>Counts</h2>
          <dl className="stats">
            <div>
              <dt>People now</dt>
              <dd className="big">{liveState?.people_count ?? 0}</dd>
            </div>
            <div>
              <dt>In today</dt>
              <dd>{liveState?.people_in_today ?? 0}</dd>
            </div>
            <div>
              <dt>Out today</dt>
              <dd>{liveState?.people_out_today ?? 0}</dd>
            </div>
            <div>
              <dt>Updated</dt>
              <dd>
                <Age at={liveState?.updated_at ?? null} />
              </dd>
            </div>
          </dl>
          <table>
            <caption>Lines (since the camera started)</caption>
            <thead>
              <tr>
                <th scope="col">Line</th>
                <th scope="col">In</th>
                <th scope="col">Out</th>
              </tr>
            </thead>
            <tbody>
              {lineCounts.map((l) => (
                <tr key={l.name}>
                  <th scope="row">{l.name}</th>
                  <td>{l.people_in ?? '–'}</td>
                  <td>{l.people_out ?? '–'}</td>
                </tr>
              ))}
              {lineCounts.length === 0 && (
                <tr>
                  <td colSpan={3}>No lines</td>
                </tr>
              )}
            </tbody>
          </table>
          <table>
            <caption>Zones</caption>
            <thead>
              <tr>
                <th scope="col">Zone</th>
                <th scope="col">Now</th>
                <th scope="col">Entries</th>
                <th scope="col">Visitors</th>
              </tr>
            </thead>
            <tbody>
              {zoneCounts.map((z) => (
                <tr key={z.name}>
                  <th scope="row">{z.name}</th>
                  <td>{z.occupancy ?? '–'}</td>
                  <td>{z.entries ?? '–'}</td>
                  <td>{z.visitors ?? '–'}</td>
                </tr>
              ))}
              {zoneCounts.length === 0 && (
                <tr>
                  <td colSpan={4}>No zones</td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      </div>
      <div className="two-columns">
        <EventTable title="Recent events" rows={events} empty="No events yet" testId="events" />
        <EventTable title="Status history" rows={statusRows} empty="No status changes recorded" testId="status-history" />
      </div>
    </section>
  );
}

function EventTable({ title, rows, empty, testId }: { title: string; rows: Row[]; empty: string; testId: string }) {
  return (
    <div className="card">
      <table data-testid={testId}>
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Type</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key}>
              <td>{formatDateTime(r.at)}</td>
              <td>{r.type.replace('_', ' ')}</td>
              <td>{r.detail}</td>
            </tr>
          ))}
          {rows.length === 0 && (
            <tr>
              <td colSpan={3}>{empty}</td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
