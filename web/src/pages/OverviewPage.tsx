import { useLayoutEffect } from 'react';
import { listCameras } from '../api/endpoints';
import { formError } from '../api/errors';
import type { Camera } from '../api/types';
import { hasRole, useUser } from '../auth/AuthProvider';
import { TimeChart } from '../charts/TimeChart';
import { Age, ErrorBanner, StatusBadge, useLoad, useNow } from '../components/ui';
import { useLiveState, useLiveStore } from '../live/LiveProvider';
import { HISTORY_SPAN_MS, siteTotals, type CameraState } from '../live/state';
import { Link } from '../router';

declare global {
  interface Window {
    /** Milliseconds from the frame behind a count update to its DOM commit (benchmarks read it). */
    __footfallLatency?: number[];
    /** Milliseconds from the server publishing a periodic count refresh to its DOM commit. */
    __footfallDelivery?: number[];
  }
}

/** Records how long count updates took from the camera's frame to the screen. */
function useRenderLatency(): void {
  const store = useLiveStore();
  const state = useLiveState();
  useLayoutEffect(() => {
    const times = store.takeRendered();
    if (times.length === 0) return;
    const now = Date.now();
    const frames = (window.__footfallLatency ??= []);
    const refreshes = (window.__footfallDelivery ??= []);
    for (const t of times) (t.fromFrame ? frames : refreshes).push(now - t.at);
    for (const samples of [frames, refreshes]) {
      if (samples.length > 10_000) samples.splice(0, samples.length - 10_000);
    }
  }, [store, state]);
}

function CameraCard({ camera, live }: { camera: Camera; live: CameraState | undefined }) {
  const status = live?.status ?? camera.status;
  return (
    <article className="card camera-card" data-testid={`camera-card-${camera.id}`} aria-labelledby={`cam-${camera.id}`}>
      <header>
        <h2 id={`cam-${camera.id}`}>
          <Link to={`/cameras/${camera.id}`}>{camera.name}</Link>
        </h2>
        <StatusBadge status={status} />
      </header>
      {live?.status_reason && status !== 'online' && <p className="reason">{live.status_reason}</p>}
      <p className="occupancy">
        <span className="value" data-testid="occupancy">
          {live?.people_count ?? 0}
        </span>
        <span className="unit">people now</span>
      </p>
      <dl className="stats">
        <div>
          <dt>In today</dt>
          <dd data-testid="in-today">{live?.people_in_today ?? 0}</dd>
        </div>
        <div>
          <dt>Out today</dt>
          <dd data-testid="out-today">{live?.people_out_today ?? 0}</dd>
        </div>
        <div>
          <dt>FPS</dt>
          <dd>{live?.fps != null ? live.fps.toFixed(1) : '–'}</dd>
        </div>
        <div>
          <dt>Updated</dt>
          <dd>
            <Age at={live?.updated_at ?? null} />
          </dd>
        </div>
      </dl>
    </article>
  );
}

export function OverviewPage() {
  const user = useUser();
  const cameras = useLoad(listCameras, []);
  const live = useLiveState();
  const now = useNow(5000);
  useRenderLatency();
  const totals = siteTotals(live.cameras);
  const list = cameras.data ?? [];

  return (
    <section aria-labelledby="overview-title">
      <div className="page-head">
        <h1 id="overview-title">Live overview</h1>
        {hasRole(user, 'user') && (
          <Link className="button primary" to="/cameras/new">
            Add camera
          </Link>
        )}
      </div>
      <ErrorBanner message={formError(cameras.error, [])} />
      <div className="summary card" data-testid="site-total">
        <h2>Site total</h2>
        <dl className="stats wide">
          <div>
            <dt>Occupancy</dt>
            <dd className="big" data-testid="site-occupancy">
              {totals.occupancy}
            </dd>
          </div>
          <div>
            <dt>In today</dt>
            <dd>{totals.in_today}</dd>
          </div>
          <div>
            <dt>Out today</dt>
            <dd>{totals.out_today}</dd>
          </div>
          <div>
            <dt>Cameras online</dt>
            <dd>
              {totals.online} / {list.length}
            </dd>
          </div>
        </dl>
      </div>
      <div className="card">
        <h2>Occupancy, last hour</h2>
        <TimeChart
          label="Site occupancy over the last hour"
          start={now - HISTORY_SPAN_MS}
          end={now}
          series={[{ name: 'Occupancy (all cameras)', color: 'var(--accent)', kind: 'line', points: live.history.map((p) => ({ t: p.t, v: p.total })) }]}
        />
      </div>
      {cameras.loading && !cameras.data && <p role="status">Loading cameras…</p>}
      {cameras.data && list.length === 0 && <p>No cameras yet.</p>}
      <div className="grid">
        {list.map((camera) => (
          <CameraCard key={camera.id} camera={camera} live={live.cameras.get(camera.id)} />
        ))}
      </div>
    </section>
  );
}
