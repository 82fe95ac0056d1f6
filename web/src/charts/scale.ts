/** Scales and ticks for the hand-written SVG charts. */

export interface LinearScale {
  (value: number): number;
  domain: readonly [number, number];
  ticks: number[];
}

/** A step of 1, 2 or 5 times a power of ten, about span / count. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || count < 1) return 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/**
 * Maps [min, max] onto [from, to] after widening the domain to whole ticks. Counts are
 * whole people, so the step is at least 1 when `integer`; an empty or flat series still
 * gets a usable 0..1 axis.
 */
export function linearScale(
  values: readonly number[],
  range: readonly [number, number],
  { tickCount = 5, includeZero = true, integer = true } = {},
): LinearScale {
  let min = Math.min(...values);
  let max = Math.max(...values);
  if (!Number.isFinite(min) || !Number.isFinite(max)) [min, max] = [0, 1];
  if (includeZero) [min, max] = [Math.min(0, min), Math.max(0, max)];
  if (max === min) max = min + 1;
  let step = niceStep(max - min, tickCount);
  if (integer) step = Math.max(1, Math.round(step));
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let v = lo; v <= hi + step / 2; v += step) ticks.push(Number(v.toFixed(10)));
  const [from, to] = range;
  const scale = ((value: number) => from + ((value - lo) / (hi - lo)) * (to - from)) as LinearScale;
  Object.assign(scale, { domain: [lo, hi] as const, ticks });
  return scale;
}

/** Maps times (ms) onto [from, to] over exactly [start, end]; ticks on round units. */
export function timeScale(start: number, end: number, range: readonly [number, number], tickCount = 6): LinearScale {
  if (!(end > start)) end = start + 1;
  const steps = [
    1_000, 5_000, 15_000, 30_000, 60_000, 5 * 60_000, 15 * 60_000, 30 * 60_000, 3_600_000, 3 * 3_600_000,
    6 * 3_600_000, 12 * 3_600_000, 86_400_000, 7 * 86_400_000, 30 * 86_400_000, 365 * 86_400_000,
  ];
  const step = steps.find((s) => (end - start) / s <= tickCount) ?? steps[steps.length - 1]!;
  // Round in local time so hour and day ticks fall on the viewer's clock boundaries.
  const offset = new Date(start).getTimezoneOffset() * 60_000;
  const ticks: number[] = [];
  for (let t = Math.ceil((start - offset) / step) * step + offset; t <= end; t += step) ticks.push(t);
  const [from, to] = range;
  const scale = ((t: number) => from + ((t - start) / (end - start)) * (to - from)) as LinearScale;
  Object.assign(scale, { domain: [start, end] as const, ticks });
  return scale;
}

/** Tick label for a time axis, as precise as the tick spacing needs. */
export function formatTick(t: number, spanMs: number): string {
  const d = new Date(t);
  if (spanMs <= 2 * 86_400_000) return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  if (spanMs <= 90 * 86_400_000) return d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
  return d.toLocaleDateString(undefined, { year: 'numeric', month: 'short' });
}
