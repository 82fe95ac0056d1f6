import { describe, expect, it } from 'vitest';
import { linearScale, niceStep, timeScale } from './scale';

describe('chart scales', () => {
  it('picks 1-2-5 steps', () => {
    expect(niceStep(10, 5)).toBe(2);
    expect(niceStep(100, 5)).toBe(20);
    expect(niceStep(7, 5)).toBe(2);
    expect(niceStep(0.5, 5)).toBe(0.1);
    expect(niceStep(0, 5)).toBe(1);
  });

  it('maps values onto pixels with y growing downwards', () => {
    const y = linearScale([0, 3, 10], [200, 0]);
    expect(y.domain).toEqual([0, 10]);
    expect(y(0)).toBe(200);
    expect(y(10)).toBe(0);
    expect(y(5)).toBe(100);
    expect(y.ticks).toEqual([0, 2, 4, 6, 8, 10]);
  });

  it('rounds the domain out to whole ticks and uses whole people', () => {
    const y = linearScale([0, 1, 2, 3], [100, 0]);
    expect(y.ticks.every(Number.isInteger)).toBe(true);
    expect(y.domain[1]).toBeGreaterThanOrEqual(3);
    expect(linearScale([13], [100, 0]).domain).toEqual([0, 15]);
  });

  it('gives an empty or flat series a usable axis', () => {
    expect(linearScale([], [100, 0]).domain).toEqual([0, 1]);
    expect(linearScale([0, 0], [100, 0]).domain).toEqual([0, 1]);
    expect(linearScale([5, 5], [100, 0], { includeZero: false }).domain).toEqual([5, 6]);
  });

  it('puts time ticks on round units inside the range', () => {
    const start = Date.UTC(2026, 0, 1, 10, 7);
    const x = timeScale(start, start + 3_600_000, [0, 600]);
    expect(x(start)).toBe(0);
    expect(x(start + 3_600_000)).toBe(600);
    expect(x.ticks.length).toBeGreaterThanOrEqual(4);
    expect(x.ticks.every((t) => t >= start && t <= start + 3_600_000)).toBe(true);
    const minutes = x.ticks.map((t) => new Date(t).getUTCMinutes() % 15);
    expect(minutes.every((m) => m === 0)).toBe(true);
  });
});
