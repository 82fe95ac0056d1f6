import { useEffect, useRef, useState } from 'react';
import { formatTick, linearScale, timeScale } from './scale';

export interface ChartPoint {
  /** Milliseconds since the epoch. */
  t: number;
  v: number;
}

export interface Series {
  name: string;
  /** A CSS colour, usually a theme variable. */
  color: string;
  kind: 'line' | 'bar';
  points: readonly ChartPoint[];
}

interface Props {
  /** What the chart shows, for screen readers (the numbers are in the table views). */
  label: string;
  series: readonly Series[];
  start: number;
  end: number;
  /** Width of one bar's time slot (the bucket size), ms. */
  barSlotMs?: number;
  height?: number;
}

const MARGIN = { top: 12, right: 12, bottom: 24, left: 40 };
/** Sparse line series also get a dot per point (a single point draws no line at all). */
const MAX_MARKED_POINTS = 48;

/** Tick labels near the edges are anchored inwards so they are not cut off. */
function anchorFor(x: number, width: number): 'start' | 'middle' | 'end' {
  if (x > width - 36) return 'end';
  if (x < MARGIN.left + 20) return 'start';
  return 'middle';
}

/** Follows an element's width (charts redraw at their real size instead of stretching text). */
function useWidth<T extends HTMLElement>(): [React.RefObject<T | null>, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(600);
  useEffect(() => {
    const element = ref.current;
    if (!element || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(([entry]) => {
      if (entry) setWidth(Math.max(200, Math.floor(entry.contentRect.width)));
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

/** A small time-series chart: lines and grouped bars on one time axis, plain SVG. */
export function TimeChart({ label, series, start, end, barSlotMs = 60_000, height = 220 }: Props) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const x = timeScale(start, end, [MARGIN.left, width - MARGIN.right]);
  const y = linearScale(
    series.flatMap((s) => s.points.map((p) => p.v)),
    [height - MARGIN.bottom, MARGIN.top],
  );
  const bars = series.filter((s) => s.kind === 'bar');
  const slotPx = Math.max(1, x(start + barSlotMs) - x(start));
  const barWidth = Math.max(1, (slotPx * 0.8) / Math.max(1, bars.length));

  return (
    <div ref={ref} className="chart">
      <svg width={width} height={height} role="img" aria-label={label}>
        {y.ticks.map((tick) => (
          <g key={`y${tick}`}>
            <line className="grid" x1={MARGIN.left} x2={width - MARGIN.right} y1={y(tick)} y2={y(tick)} />
            <text className="axis" x={MARGIN.left - 6} y={y(tick)} dy="0.32em" textAnchor="end">
              {tick}
            </text>
          </g>
        ))}
        {x.ticks.map((tick) => (
          <text key={`x${tick}`} className="axis" x={x(tick)} y={height - 6} textAnchor={anchorFor(x(tick), width)}>
            {formatTick(tick, end - start)}
          </text>
        ))}
        {bars.map((s, i) => (
          <g key={s.name} fill={s.color}>
            {s.points.map((p) => (
              <rect
                key={p.t}
                x={x(p.t) + slotPx * 0.1 + i * barWidth}
                y={Math.min(y(p.v), y(0))}
                width={barWidth}
                height={Math.abs(y(0) - y(p.v))}
              />
            ))}
          </g>
        ))}
        {series
          .filter((s) => s.kind === 'line' && s.points.length > 0)
          .map((s) => (
            <polyline
              key={s.name}
              fill="none"
              stroke={s.color}
              strokeWidth={2}
              strokeLinejoin="round"
              points={s.points.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ')}
            />
          ))}
        {series
          .filter((s) => s.kind === 'line' && s.points.length <= MAX_MARKED_POINTS)
          .map((s) => (
            <g key={`${s.name}-markers`} fill={s.color}>
              {s.points.map((p) => (
                <circle key={p.t} cx={x(p.t)} cy={y(p.v)} r={3} />
              ))}
            </g>
          ))}
      </svg>
      <ul className="legend" aria-hidden="true">
        {series.map((s) => (
          <li key={s.name}>
            <span className="swatch" style={{ background: s.color }} />
            {s.name}
          </li>
        ))}
      </ul>
    </div>
  );
}
