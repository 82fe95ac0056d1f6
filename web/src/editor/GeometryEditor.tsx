import { useEffect, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import { errorFor } from '../api/errors';
import { DEFAULT_IN_SIDE, type LineConfig, type Point, type ZoneConfig } from '../api/types';
import { freshName, hitVertex, inArrow, moveVertex, otherSide, toNormalised, toPixels, type Size, type VertexRef } from './geometry';

export interface Shapes {
  lines: LineConfig[];
  zones: ZoneConfig[];
}

interface Props extends Shapes {
  /** The camera's snapshot; null (or a failed load) shows a neutral 16:9 canvas. */
  imageUrl: string | null;
  onChange: (next: Shapes) => void;
  readOnly: boolean;
  /** The last save error, to show next to the line / zone field it names. */
  error: unknown;
}

type Mode = 'select' | 'line' | 'zone';

const NUDGE = 0.005;

function useSize<T extends HTMLElement>(): [React.RefObject<T | null>, Size] {
  const ref = useRef<T>(null);
  const [size, setSize] = useState<Size>({ width: 640, height: 360 });
  useEffect(() => {
    const element = ref.current;
    if (!element || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(([entry]) => {
      if (entry) setSize({ width: entry.contentRect.width, height: entry.contentRect.height });
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, size];
}

const fmt = (v: number) => v.toFixed(4);

/**
 * Draws counting lines and zones on the camera image: click to add points, drag points
 * to move them (or focus one and use the arrow keys), and edit names, "in" side and exact
 * coordinates in the list below.
 */
export function GeometryEditor({ imageUrl, lines, zones, onChange, readOnly, error }: Props) {
  const [canvasRef, size] = useSize<HTMLDivElement>();
  const svgRef = useRef<SVGSVGElement>(null);
  const [mode, setMode] = useState<Mode>('select');
  const [pending, setPending] = useState<Point[]>([]);
  const [dragging, setDragging] = useState<VertexRef | null>(null);
  const [pointer, setPointer] = useState<Point | null>(null);
  const [imageFailed, setImageFailed] = useState(false);
  const [aspect, setAspect] = useState(16 / 9);

  useEffect(() => setImageFailed(false), [imageUrl]);

  const pointFromEvent = (e: PointerEvent): Point => {
    const rect = svgRef.current!.getBoundingClientRect();
    return toNormalised(e.clientX, e.clientY, rect);
  };

  const startMode = (next: Mode) => {
    setMode(next);
    setPending([]);
  };

  const finishZone = (polygon: Point[]) => {
    onChange({ lines, zones: [...zones, { name: freshName('zone', zones), polygon }] });
    startMode('select');
  };

  const onPointerDown = (e: PointerEvent<SVGSVGElement>) => {
    if (readOnly || e.button !== 0) return;
    const p = pointFromEvent(e);
    const hit = pending.length === 0 ? hitVertex(lines, zones, p, size) : null;
    if (hit) {
      e.currentTarget.setPointerCapture(e.pointerId);
      setDragging(hit);
      return;
    }
    if (mode === 'line') {
      if (pending.length === 0) setPending([p]);
      else {
        onChange({ lines: [...lines, { name: freshName('line', lines), start: pending[0]!, end: p, in: 'left' }], zones });
        startMode('select');
      }
    } else if (mode === 'zone') {
      const first = pending[0];
      const closes = first && pending.length >= 3 && Math.hypot((first.x - p.x) * size.width, (first.y - p.y) * size.height) < 12;
      if (closes) finishZone(pending);
      else setPending([...pending, p]);
    }
  };

  const onPointerMove = (e: PointerEvent<SVGSVGElement>) => {
    const p = pointFromEvent(e);
    setPointer(p);
    if (dragging) onChange(moveVertex(lines, zones, dragging, p));
  };

  const onPointerUp = () => setDragging(null);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') startMode('select');
    if (e.key === 'Enter' && mode === 'zone' && pending.length >= 3) finishZone(pending);
  };

  const nudge = (ref: VertexRef, current: Point) => (e: KeyboardEvent) => {
    const step = e.shiftKey ? NUDGE * 10 : NUDGE;
    const delta: Record<string, [number, number]> = {
      ArrowLeft: [-step, 0],
      ArrowRight: [step, 0],
      ArrowUp: [0, -step],
      ArrowDown: [0, step],
    };
    const d = delta[e.key];
    if (!d || readOnly) return;
    e.preventDefault();
    onChange(moveVertex(lines, zones, ref, { x: current.x + d[0], y: current.y + d[1] }));
  };

  const px = (p: Point) => toPixels(p, size);
  const setLine = (i: number, patch: Partial<LineConfig>) =>
    onChange({ lines: lines.map((l, j) => (j === i ? { ...l, ...patch } : l)), zones });
  const setZone = (i: number, patch: Partial<ZoneConfig>) =>
    onChange({ lines, zones: zones.map((z, j) => (j === i ? { ...z, ...patch } : z)) });
  const showImage = imageUrl !== null && !imageFailed;

  const handle = (ref: VertexRef, p: Point, label: string) => {
    const at = px(p);
    return (
      <circle
        key={`${ref.kind}${ref.index}-${ref.vertex}`}
        className="handle"
        cx={at.x}
        cy={at.y}
        r={7}
        tabIndex={readOnly ? -1 : 0}
        role="button"
        aria-label={`${label}: x ${fmt(p.x)}, y ${fmt(p.y)} (arrow keys move it)`}
        onKeyDown={nudge(ref, p)}
      />
    );
  };

  return (
    <div className="geometry-editor" onKeyDown={onKeyDown}>
      {!readOnly && (
        <div className="toolbar" role="toolbar" aria-label="Drawing tools">
          <button type="button" aria-pressed={mode === 'line'} onClick={() => startMode(mode === 'line' ? 'select' : 'line')}>
            Add line
          </button>
          <button type="button" aria-pressed={mode === 'zone'} onClick={() => startMode(mode === 'zone' ? 'select' : 'zone')}>
            Add zone
          </button>
          {mode === 'zone' && (
            <button type="button" disabled={pending.length < 3} onClick={() => finishZone(pending)}>
              Finish zone
            </button>
          )}
          <span className="hint" aria-live="polite">
            {mode === 'line' && (pending.length === 0 ? 'Click the line start' : 'Click the line end')}
            {mode === 'zone' && 'Click each corner; click the first corner, press Enter or "Finish zone" to close'}
            {mode === 'select' && 'Drag a point to move it'}
          </span>
        </div>
      )}
      <div ref={canvasRef} className="editor-canvas" style={{ aspectRatio: showImage ? aspect : 16 / 9 }}>
        {showImage ? (
          <img
            src={imageUrl}
            alt="Camera snapshot"
            draggable={false}
            onLoad={(e) => {
              const img = e.currentTarget;
              if (img.naturalWidth > 0) setAspect(img.naturalWidth / img.naturalHeight);
            }}
            onError={() => setImageFailed(true)}
          />
        ) : (
          <div className="neutral-canvas">No snapshot yet: draw on a 16:9 frame</div>
        )}
        <svg
          ref={svgRef}
          className={`overlay mode-${mode}`}
          width={size.width}
          height={size.height}
          data-testid="geometry-canvas"
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          onPointerLeave={() => setPointer(null)}
        >
          {zones.map((z, i) => (
            <g key={`z${i}`} className="zone">
              <polygon points={z.polygon.map((p) => `${px(p).x},${px(p).y}`).join(' ')} />
              {z.polygon[0] && (
                <text x={px(z.polygon[0]).x + 8} y={px(z.polygon[0]).y - 8}>
                  {z.name}
                </text>
              )}
              {!readOnly && z.polygon.map((p, v) => handle({ kind: 'zone', index: i, vertex: v }, p, `Zone ${z.name} corner ${v + 1}`))}
            </g>
          ))}
          {lines.map((l, i) => {
            const arrow = inArrow(l, size);
            return (
              <g key={`l${i}`} className="line">
                <line x1={px(l.start).x} y1={px(l.start).y} x2={px(l.end).x} y2={px(l.end).y} />
                {arrow && (
                  <g className="in-arrow">
                    <line x1={arrow.from.x} y1={arrow.from.y} x2={arrow.to.x} y2={arrow.to.y} markerEnd="url(#arrowhead)" />
                    <text x={arrow.to.x} y={arrow.to.y} dx={4} dy={-4}>
                      in
                    </text>
                  </g>
                )}
                <text x={px(l.start).x + 8} y={px(l.start).y - 8}>
                  {l.name}
                </text>
                {!readOnly && handle({ kind: 'line', index: i, vertex: 0 }, l.start, `Line ${l.name} start`)}
                {!readOnly && handle({ kind: 'line', index: i, vertex: 1 }, l.end, `Line ${l.name} end`)}
              </g>
            );
          })}
          {pending.length > 0 && (
            <polyline
              className="pending"
              points={[...pending, ...(pointer ? [pointer] : [])].map((p) => `${px(p).x},${px(p).y}`).join(' ')}
            />
          )}
          {pending.map((p, i) => (
            <circle key={`p${i}`} className="pending-point" cx={px(p).x} cy={px(p).y} r={5} />
          ))}
          <defs>
            <marker id="arrowhead" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
              <path d="M 0 0 L 10 5 L 0 10 z" className="arrowhead" />
            </marker>
          </defs>
        </svg>
      </div>
      <output className="pointer-readout" aria-label="Pointer position">
        {pointer ? `x ${fmt(pointer.x)}  y ${fmt(pointer.y)}` : '\u00a0'}
      </output>

      <ShapeLists
        lines={lines}
        zones={zones}
        readOnly={readOnly}
        error={error}
        setLine={setLine}
        setZone={setZone}
        onChange={onChange}
      />
    </div>
  );
}

interface ListProps extends Shapes {
  readOnly: boolean;
  error: unknown;
  setLine: (i: number, patch: Partial<LineConfig>) => void;
  setZone: (i: number, patch: Partial<ZoneConfig>) => void;
  onChange: (next: Shapes) => void;
}

function CoordinateInput({ label, value, onChange, readOnly, error }: { label: string; value: number; onChange: (v: number) => void; readOnly: boolean; error?: string }) {
  return (
    <label className="coord">
      <span>{label}</span>
      <input
        type="number"
        min={0}
        max={1}
        step={0.01}
        value={value}
        readOnly={readOnly}
        aria-invalid={error ? true : undefined}
        onChange={(e) => {
          const v = e.currentTarget.valueAsNumber;
          if (Number.isFinite(v)) onChange(Math.min(1, Math.max(0, v)));
        }}
      />
    </label>
  );
}

/** Names, "in" side and exact coordinates of every shape: the keyboard path and the live preview. */
function ShapeLists({ lines, zones, readOnly, error, setLine, setZone, onChange }: ListProps) {
  const fieldError = (path: string) => {
    const message = errorFor(error, path, true);
    return message ? <p className="field-error" role="alert">{message}</p> : null;
  };
  /** An error about a shape that no specific field above shows (e.g. `lines[0].hysteresis`). */
  const otherError = (path: string, shown: string[]) => {
    if (shown.some((s) => errorFor(error, `${path}.${s}`, true))) return null;
    const message = errorFor(error, path);
    return message ? <p className="field-error" role="alert">{message}</p> : null;
  };
  return (
    <div className="shape-lists">
      <fieldset>
        <legend>Lines ({lines.length})</legend>
        {lines.length === 0 && <p className="muted">No lines. Use "Add line" and click two points.</p>}
        {lines.map((l, i) => (
          <div key={i} className="shape" data-testid={`line-${i}`}>
            <label>
              <span>Name</span>
              <input value={l.name} readOnly={readOnly} onChange={(e) => setLine(i, { name: e.currentTarget.value })} />
            </label>
            {fieldError(`lines[${i}].name`)}
            <label>
              <span>"In" side</span>
              <select value={l.in ?? DEFAULT_IN_SIDE} disabled={readOnly} onChange={(e) => setLine(i, { in: e.currentTarget.value as LineConfig['in'] })}>
                <option value="left">left of start → end</option>
                <option value="right">right of start → end</option>
              </select>
            </label>
            {!readOnly && (
              <button type="button" onClick={() => setLine(i, { in: otherSide(l.in ?? DEFAULT_IN_SIDE) })}>
                Flip direction
              </button>
            )}
            <div className="coords">
              <CoordinateInput label="start x" value={l.start.x} readOnly={readOnly} onChange={(x) => setLine(i, { start: { ...l.start, x } })} />
              <CoordinateInput label="start y" value={l.start.y} readOnly={readOnly} onChange={(y) => setLine(i, { start: { ...l.start, y } })} />
              <CoordinateInput label="end x" value={l.end.x} readOnly={readOnly} onChange={(x) => setLine(i, { end: { ...l.end, x } })} />
              <CoordinateInput label="end y" value={l.end.y} readOnly={readOnly} onChange={(y) => setLine(i, { end: { ...l.end, y } })} />
            </div>
            {fieldError(`lines[${i}].start`)}
            {fieldError(`lines[${i}].end`)}
            {otherError(`lines[${i}]`, ['name', 'start', 'end'])}
            {!readOnly && (
              <button type="button" className="danger" onClick={() => onChange({ lines: lines.filter((_, j) => j !== i), zones })}>
                Remove line {l.name}
              </button>
            )}
          </div>
        ))}
        {fieldError('lines')}
      </fieldset>
      <fieldset>
        <legend>Zones ({zones.length})</legend>
        {zones.length === 0 && <p className="muted">No zones. Use "Add zone" and click the corners.</p>}
        {zones.map((z, i) => (
          <div key={i} className="shape" data-testid={`zone-${i}`}>
            <label>
              <span>Name</span>
              <input value={z.name} readOnly={readOnly} onChange={(e) => setZone(i, { name: e.currentTarget.value })} />
            </label>
            {fieldError(`zones[${i}].name`)}
            <div className="coords">
              {z.polygon.map((p, v) => (
                <span key={v} className="vertex">
                  <CoordinateInput label={`${v + 1} x`} value={p.x} readOnly={readOnly} onChange={(x) => setZone(i, { polygon: z.polygon.map((q, k) => (k === v ? { ...q, x } : q)) })} />
                  <CoordinateInput label={`${v + 1} y`} value={p.y} readOnly={readOnly} onChange={(y) => setZone(i, { polygon: z.polygon.map((q, k) => (k === v ? { ...q, y } : q)) })} />
                </span>
              ))}
            </div>
            {fieldError(`zones[${i}].polygon`)}
            {otherError(`zones[${i}]`, ['name', 'polygon'])}
            {!readOnly && (
              <button type="button" className="danger" onClick={() => onChange({ lines, zones: zones.filter((_, j) => j !== i) })}>
                Remove zone {z.name}
              </button>
            )}
          </div>
        ))}
        {fieldError('zones')}
      </fieldset>
    </div>
  );
}
