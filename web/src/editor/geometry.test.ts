import { describe, expect, it } from 'vitest';
import type { LineConfig, ZoneConfig } from '../api/types';
import { freshName, hitVertex, inArrow, moveVertex, toNormalised, toPixels } from './geometry';

const line = (start: [number, number], end: [number, number], side: 'left' | 'right' = 'left'): LineConfig => ({
  name: 'door',
  start: { x: start[0], y: start[1] },
  end: { x: end[0], y: end[1] },
  in: side,
});

describe('coordinates', () => {
  const rect = { left: 100, top: 50, width: 800, height: 450 };

  it('normalises pointer positions inside the drawn image', () => {
    expect(toNormalised(500, 275, rect)).toEqual({ x: 0.5, y: 0.5 });
    expect(toNormalised(100, 50, rect)).toEqual({ x: 0, y: 0 });
    expect(toNormalised(900, 500, rect)).toEqual({ x: 1, y: 1 });
  });

  it('clamps positions outside the image and rounds to four decimals', () => {
    expect(toNormalised(0, 1000, rect)).toEqual({ x: 0, y: 1 });
    expect(toNormalised(100 + 800 / 3, 50, rect)).toEqual({ x: 0.3333, y: 0 });
  });

  it('round-trips through pixels', () => {
    const size = { width: 800, height: 450 };
    const p = toPixels({ x: 0.25, y: 0.6 }, size);
    expect(p).toEqual({ x: 200, y: 270 });
    expect(toNormalised(p.x + rect.left, p.y + rect.top, rect)).toEqual({ x: 0.25, y: 0.6 });
  });
});

describe('the "in" arrow', () => {
  const size = { width: 1600, height: 900 };

  it('points up (screen-left) for a line drawn left to right with in = left, like footfall_core', () => {
    const a = inArrow(line([0.2, 0.5], [0.8, 0.5]), size, 10)!;
    expect(a.from).toEqual({ x: 800, y: 450 });
    expect(a.to.x).toBeCloseTo(800);
    expect(a.to.y).toBeCloseTo(440);
  });

  it('points down for in = right, and flips with the drawing direction', () => {
    expect(inArrow(line([0.2, 0.5], [0.8, 0.5], 'right'), size, 10)!.to.y).toBeCloseTo(460);
    expect(inArrow(line([0.8, 0.5], [0.2, 0.5]), size, 10)!.to.y).toBeCloseTo(460);
  });

  it('takes the server default (left) for a line that does not say', () => {
    const { in: _omitted, ...unsaid } = line([0.2, 0.5], [0.8, 0.5], 'right');
    expect(inArrow(unsaid, size, 10)).toEqual(inArrow(line([0.2, 0.5], [0.8, 0.5], 'left'), size, 10));
  });

  it('for the demo exit line (top to bottom, in = right) points to screen-left', () => {
    const a = inArrow(line([0.75, 0.3], [0.75, 0.99], 'right'), size, 10)!;
    expect(a.to.x).toBeCloseTo(a.from.x - 10);
    expect(a.to.y).toBeCloseTo(a.from.y);
  });

  it('is perpendicular in pixels on a non-square frame', () => {
    const l = line([0, 0], [1, 1]);
    const a = inArrow(l, size, 10)!;
    const d = { x: 1600, y: 900 };
    const v = { x: a.to.x - a.from.x, y: a.to.y - a.from.y };
    expect(v.x * d.x + v.y * d.y).toBeCloseTo(0);
  });

  it('has no direction for a zero-length line', () => {
    expect(inArrow(line([0.5, 0.5], [0.5, 0.5]), size)).toBeNull();
  });
});

describe('editing', () => {
  const size = { width: 1000, height: 500 };
  const lines = [line([0.1, 0.1], [0.9, 0.1])];
  const zones: ZoneConfig[] = [{ name: 'table', polygon: [{ x: 0.5, y: 0.5 }, { x: 0.7, y: 0.5 }, { x: 0.7, y: 0.8 }] }];

  it('finds the vertex under the pointer within the radius', () => {
    expect(hitVertex(lines, zones, { x: 0.905, y: 0.1 }, size)).toEqual({ kind: 'line', index: 0, vertex: 1 });
    expect(hitVertex(lines, zones, { x: 0.7, y: 0.81 }, size)).toEqual({ kind: 'zone', index: 0, vertex: 2 });
    expect(hitVertex(lines, zones, { x: 0.3, y: 0.3 }, size)).toBeNull();
  });

  it('moves a dragged vertex without touching the inputs, clamped to the frame', () => {
    const moved = moveVertex(lines, zones, { kind: 'line', index: 0, vertex: 0 }, { x: -0.2, y: 0.25 });
    expect(moved.lines[0]!.start).toEqual({ x: 0, y: 0.25 });
    expect(moved.lines[0]!.end).toEqual({ x: 0.9, y: 0.1 });
    expect(lines[0]!.start).toEqual({ x: 0.1, y: 0.1 });
    const zoneMoved = moveVertex(lines, zones, { kind: 'zone', index: 0, vertex: 1 }, { x: 0.75, y: 0.45 });
    expect(zoneMoved.zones[0]!.polygon[1]).toEqual({ x: 0.75, y: 0.45 });
    expect(zones[0]!.polygon[1]).toEqual({ x: 0.7, y: 0.5 });
  });

  it('names new shapes uniquely', () => {
    expect(freshName('line', [{ name: 'line 1' }, { name: 'exit' }])).toBe('line 2');
    expect(freshName('zone', [])).toBe('zone 1');
  });
});
