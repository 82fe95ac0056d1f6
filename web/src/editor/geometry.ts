/**
 * Geometry of the line / zone editor. Shapes are stored in normalised image coordinates
 * (0..1, x right, y down: footfall_core's convention), drawn in the displayed pixels.
 */
import { DEFAULT_IN_SIDE, type LineConfig, type Point, type Side, type ZoneConfig } from '../api/types';

export interface Size {
  width: number;
  height: number;
}

export interface Rect extends Size {
  left: number;
  top: number;
}

/** Four decimals: a tenth of a pixel even on a 4K frame, and readable in the preview. */
const round = (v: number) => Math.round(v * 10_000) / 10_000;
const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/** A pointer position (client pixels) inside the drawn image `rect`, normalised and clamped. */
export function toNormalised(clientX: number, clientY: number, rect: Rect): Point {
  return {
    x: round(clamp01((clientX - rect.left) / rect.width)),
    y: round(clamp01((clientY - rect.top) / rect.height)),
  };
}

export function toPixels(p: Point, size: Size): Point {
  return { x: p.x * size.width, y: p.y * size.height };
}

export interface Arrow {
  from: Point;
  to: Point;
}

/**
 * The arrow from a line's midpoint towards its "in" side, in pixels. "Left" is the left
 * hand of someone walking from start to end on screen; with y pointing down that is the
 * direction (dy, -dx). Computed in pixels, not normalised units, so the arrow is
 * perpendicular on a non-square frame.
 */
export function inArrow(line: Pick<LineConfig, 'start' | 'end' | 'in'>, size: Size, length = 28): Arrow | null {
  const a = toPixels(line.start, size);
  const b = toPixels(line.end, size);
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const norm = Math.hypot(dx, dy);
  if (norm === 0) return null;
  const sign = (line.in ?? DEFAULT_IN_SIDE) === 'left' ? 1 : -1;
  const nx = (sign * dy) / norm;
  const ny = (sign * -dx) / norm;
  const from = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  return { from, to: { x: from.x + nx * length, y: from.y + ny * length } };
}

export const otherSide = (side: Side): Side => (side === 'left' ? 'right' : 'left');

/** A draggable vertex: a line end (vertex 0 = start, 1 = end) or a zone corner. */
export interface VertexRef {
  kind: 'line' | 'zone';
  index: number;
  vertex: number;
}

export function vertices(lines: readonly LineConfig[], zones: readonly ZoneConfig[]): [VertexRef, Point][] {
  return [
    ...lines.flatMap((l, index): [VertexRef, Point][] => [
      [{ kind: 'line', index, vertex: 0 }, l.start],
      [{ kind: 'line', index, vertex: 1 }, l.end],
    ]),
    ...zones.flatMap((z, index) => z.polygon.map((p, vertex): [VertexRef, Point] => [{ kind: 'zone', index, vertex }, p])),
  ];
}

/** The vertex nearest to `p` (normalised) within `radiusPx` displayed pixels, if any. */
export function hitVertex(
  lines: readonly LineConfig[],
  zones: readonly ZoneConfig[],
  p: Point,
  size: Size,
  radiusPx = 12,
): VertexRef | null {
  let best: VertexRef | null = null;
  let bestDistance = radiusPx;
  for (const [ref, v] of vertices(lines, zones)) {
    const d = Math.hypot((v.x - p.x) * size.width, (v.y - p.y) * size.height);
    if (d <= bestDistance) {
      best = ref;
      bestDistance = d;
    }
  }
  return best;
}

/** Moves one vertex to `to` (normalised, clamped); returns new arrays, inputs untouched. */
export function moveVertex(
  lines: readonly LineConfig[],
  zones: readonly ZoneConfig[],
  ref: VertexRef,
  to: Point,
): { lines: LineConfig[]; zones: ZoneConfig[] } {
  const p = { x: round(clamp01(to.x)), y: round(clamp01(to.y)) };
  if (ref.kind === 'line') {
    return {
      lines: lines.map((l, i) => (i !== ref.index ? l : ref.vertex === 0 ? { ...l, start: p } : { ...l, end: p })),
      zones: [...zones],
    };
  }
  return {
    lines: [...lines],
    zones: zones.map((z, i) => (i !== ref.index ? z : { ...z, polygon: z.polygon.map((q, j) => (j === ref.vertex ? p : q)) })),
  };
}

/** The first name `prefix N` not used yet (names must be unique per camera). */
export function freshName(prefix: string, taken: readonly { name: string }[]): string {
  const names = new Set(taken.map((t) => t.name));
  for (let n = 1; ; n += 1) if (!names.has(`${prefix} ${n}`)) return `${prefix} ${n}`;
}
