import { useId, useState } from 'react';
import { downloadCountsCsv, getCounts, listCameras } from '../api/endpoints';
import { errorFor, formError } from '../api/errors';
import type { CountsQuery } from '../api/types';
import { TimeChart } from '../charts/TimeChart';
import { ErrorBanner, useLoad } from '../components/ui';
import { formatDateTime, fromLocalInput, localTimeZone, toLocalInput } from '../util/time';

type Bucket = 'minute' | 'hour' | 'day' | 'month';

const BUCKET_MS: Record<Bucket, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000, month: 30 * 86_400_000 };

const PRESETS = [
  { id: '1h', label: 'Last hour', ms: 3_600_000, bucket: 'minute' },
  { id: '24h', label: 'Last 24 hours', ms: 86_400_000, bucket: 'hour' },
  { id: '7d', label: 'Last 7 days', ms: 7 * 86_400_000, bucket: 'hour' },
  { id: '30d', label: 'Last 30 days', ms: 30 * 86_400_000, bucket: 'day' },
  { id: '365d', label: 'Last 12 months', ms: 365 * 86_400_000, bucket: 'month' },
] as const;

const PAGE_SIZE = 2000;

interface Filters {
  cameraId: number | null;
  from: number;
  to: number;
  bucket: Bucket;
  offset: number;
}

function queryOf(f: Filters): CountsQuery {
  return {
    from: new Date(f.from).toISOString(),
    to: new Date(f.to).toISOString(),
    bucket: f.bucket,
    tz: localTimeZone(),
    limit: PAGE_SIZE,
    offset: f.offset,
  };
}

export function HistoryPage() {
  const cameras = useLoad(listCameras, []);
  const [filters, setFilters] = useState<Filters>(() => {
    const now = Date.now();
    return { cameraId: null, from: now - 86_400_000, to: now, bucket: 'hour', offset: 0 };
  });
  const [preset, setPreset] = useState<string>('24h');
  const [view, setView] = useState<'chart' | 'table'>('chart');
  const [downloadError, setDownloadError] = useState<unknown>(null);
  const counts = useLoad(() => getCounts(filters.cameraId, queryOf(filters)), [filters]);
  const ids = { camera: useId(), preset: useId(), bucket: useId(), from: useId(), to: useId() };

  const update = (patch: Partial<Filters>) => setFilters({ ...filters, offset: 0, ...patch });
  const choosePreset = (id: string) => {
    setPreset(id);
    const p = PRESETS.find((x) => x.id === id);
    if (p) {
      const now = Date.now();
      update({ from: now - p.ms, to: now, bucket: p.bucket });
    }
  };

  const download = async () => {
    setDownloadError(null);
    try {
      const blob = await downloadCountsCsv(filters.cameraId, { ...queryOf(filters), limit: 100_000, offset: 0 });
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `footfall-${filters.cameraId ?? 'all'}-${filters.bucket}.csv`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setDownloadError(err);
    }
  };

  const page = counts.data;
  const items = page?.items ?? [];
  const points = items.map((b) => ({ ...b, t: Date.parse(b.start) }));
  const rangeStart = points[0] && points[0].t < filters.from ? points[0].t : filters.from;
  const error = counts.error ?? downloadError;

  return (
    <section aria-labelledby="history-title">
      <div className="page-head">
        <h1 id="history-title">History</h1>
      </div>
      <form className="card filters" onSubmit={(e) => e.preventDefault()} aria-label="History filters">
        <div className="field">
          <label htmlFor={ids.camera}>Camera</label>
          <select id={ids.camera} value={filters.cameraId ?? ''} onChange={(e) => update({ cameraId: e.target.value ? Number(e.target.value) : null })}>
            <option value="">All cameras</option>
            {(cameras.data ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.preset}>Range</label>
          <select id={ids.preset} value={preset} onChange={(e) => choosePreset(e.target.value)}>
            {PRESETS.map((p) => (
              <option key={p.id} value={p.id}>
                {p.label}
              </option>
            ))}
            <option value="custom">Custom</option>
          </select>
        </div>
        {preset === 'custom' && (
          <>
            <div className="field">
              <label htmlFor={ids.from}>From</label>
              <input id={ids.from} type="datetime-local" value={toLocalInput(filters.from)} onChange={(e) => { const v = fromLocalInput(e.target.value); if (Number.isFinite(v)) update({ from: v }); }} aria-invalid={errorFor(error, 'from') ? true : undefined} />
              {errorFor(error, 'from') && <p className="field-error" role="alert">{errorFor(error, 'from')}</p>}
            </div>
            <div className="field">
              <label htmlFor={ids.to}>To</label>
              <input id={ids.to} type="datetime-local" value={toLocalInput(filters.to)} onChange={(e) => { const v = fromLocalInput(e.target.value); if (Number.isFinite(v)) update({ to: v }); }} aria-invalid={errorFor(error, 'to') ? true : undefined} />
              {errorFor(error, 'to') && <p className="field-error" role="alert">{errorFor(error, 'to')}</p>}
            </div>
          </>
        )}
        <div className="field">
          <label htmlFor={ids.bucket}>Bucket</label>
          <select id={ids.bucket} value={filters.bucket} onChange={(e) => update({ bucket: e.target.value as Bucket })}>
            <option value="minute">Minute</option>
            <option value="hour">Hour</option>
            <option value="day">Day</option>
            <option value="month">Month</option>
          </select>
        </div>
        <div className="field actions">
          <div role="group" aria-label="View" className="segmented">
            <button type="button" aria-pressed={view === 'chart'} onClick={() => setView('chart')}>
              Charts
            </button>
            <button type="button" aria-pressed={view === 'table'} onClick={() => setView('table')}>
              Table
            </button>
          </div>
          <button type="button" onClick={() => void download()}>
            Download CSV
          </button>
          <button type="button" onClick={() => (preset === 'custom' ? counts.reload() : choosePreset(preset))}>
            Refresh
          </button>
        </div>
      </form>
      <ErrorBanner message={formError(error, ['from', 'to'])} />
      {counts.loading && <p role="status">Loading…</p>}
      {page && (
        <p className="muted" data-testid="history-summary">
          {page.total} {filters.bucket} buckets
          {page.total > items.length && ` (showing ${filters.offset + 1}–${filters.offset + items.length})`}; times in {page.tz}.
        </p>
      )}
      {view === 'chart' ? (
        <div className="two-columns">
          <div className="card" data-testid="chart-in-out">
            <h2>In / out per {filters.bucket}</h2>
            <TimeChart
              label={`People in and out per ${filters.bucket}`}
              start={rangeStart}
              end={filters.to}
              barSlotMs={BUCKET_MS[filters.bucket]}
              series={[
                { name: 'In', color: 'var(--in)', kind: 'bar', points: points.map((p) => ({ t: p.t, v: p.people_in })) },
                { name: 'Out', color: 'var(--out)', kind: 'bar', points: points.map((p) => ({ t: p.t, v: p.people_out })) },
              ]}
            />
          </div>
          <div className="card" data-testid="chart-occupancy">
            <h2>Occupancy</h2>
            <TimeChart
              label={`Average and peak occupancy per ${filters.bucket}`}
              start={rangeStart}
              end={filters.to}
              series={[
                { name: 'Average', color: 'var(--accent)', kind: 'line', points: points.map((p) => ({ t: p.t, v: p.avg_count })) },
                { name: 'Peak', color: 'var(--peak)', kind: 'line', points: points.map((p) => ({ t: p.t, v: p.peak_count })) },
              ]}
            />
          </div>
        </div>
      ) : (
        <div className="card table-wrap">
          <table data-testid="history-table">
            <caption>Counts per {filters.bucket}</caption>
            <thead>
              <tr>
                <th scope="col">Start</th>
                <th scope="col">In</th>
                <th scope="col">Out</th>
                <th scope="col">Average</th>
                <th scope="col">Peak</th>
                <th scope="col">Samples</th>
              </tr>
            </thead>
            <tbody>
              {items.map((b) => (
                <tr key={b.start}>
                  <td>{formatDateTime(b.start)}</td>
                  <td>{b.people_in}</td>
                  <td>{b.people_out}</td>
                  <td>{b.avg_count.toFixed(1)}</td>
                  <td>{b.peak_count}</td>
                  <td>{b.samples}</td>
                </tr>
              ))}
              {items.length === 0 && (
                <tr>
                  <td colSpan={6}>No counts in this range</td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
      {page && page.total > PAGE_SIZE && (
        <div className="pager">
          <button type="button" disabled={filters.offset === 0} onClick={() => setFilters({ ...filters, offset: Math.max(0, filters.offset - PAGE_SIZE) })}>
            Previous page
          </button>
          <button type="button" disabled={filters.offset + PAGE_SIZE >= page.total} onClick={() => setFilters({ ...filters, offset: filters.offset + PAGE_SIZE })}>
            Next page
          </button>
        </div>
      )}
    </section>
  );
}
