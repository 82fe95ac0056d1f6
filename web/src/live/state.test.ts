import { describe, expect, it } from 'vitest';
import type { CameraLive } from '../api/types';
import type { LiveMessage } from './messages';
import { appendPoint, applyMessage, applySnapshot, emptyLiveState, HISTORY_SPAN_MS, seedHistory, siteTotals, timeKey } from './state';

const snapshot = (over: Partial<CameraLive> = {}): CameraLive => ({
  camera_id: 1,
  people_count: 2,
  people_in_today: 10,
  people_out_today: 8,
  status: 'online',
  updated_at: '2026-03-01T10:00:00.500Z',
  frames_dropped: 0,
  lines: [],
  zones: [],
  ...over,
});

const count = (at: string, data: Partial<{ people_count: number; people_in: number; people_out: number }>, camera_id = 1): LiveMessage => ({
  seq: 1,
  type: 'count',
  camera_id,
  at,
  data: { people_count: 0, people_in: 0, people_out: 0, ...data },
});

describe('live state', () => {
  it('adds count deltas to today and takes occupancy as is', () => {
    let s = applySnapshot(emptyLiveState, [snapshot()], 0);
    s = applyMessage(s, count('2026-03-01T10:00:01Z', { people_count: 3, people_in: 1 }));
    s = applyMessage(s, count('2026-03-01T10:00:02Z', { people_count: 1, people_out: 2 }));
    expect(s.cameras.get(1)).toMatchObject({ people_count: 1, people_in_today: 11, people_out_today: 10 });
  });

  it('ignores messages the snapshot already counted (same or older time)', () => {
    let s = applySnapshot(emptyLiveState, [snapshot()], 0);
    s = applyMessage(s, count('2026-03-01T10:00:00.5Z', { people_in: 5 }));
    s = applyMessage(s, count('2026-03-01T10:00:00.1Z', { people_in: 5 }));
    expect(s.cameras.get(1)!.people_in_today).toBe(10);
    s = applyMessage(s, count('2026-03-01T10:00:00.500001Z', { people_in: 5 }));
    expect(s.cameras.get(1)!.people_in_today).toBe(15);
  });

  it('restarts today at midnight UTC like the server', () => {
    let s = applySnapshot(emptyLiveState, [snapshot({ updated_at: '2026-03-01T23:59:59Z' })], 0);
    s = applyMessage(s, count('2026-03-02T00:00:01Z', { people_in: 2, people_count: 2 }));
    expect(s.cameras.get(1)).toMatchObject({ people_in_today: 2, people_out_today: 0 });
  });

  it('keeps status, its reason and optional line / zone totals', () => {
    let s = applyMessage(emptyLiveState, { seq: 1, type: 'camera_status', camera_id: 4, at: '2026-03-01T10:00:00Z', data: { status: 'error', reason: 'stream stalled' } });
    expect(s.cameras.get(4)).toMatchObject({ status: 'error', status_reason: 'stream stalled' });
    s = applyMessage(s, { seq: 2, type: 'count', camera_id: 4, at: '2026-03-01T10:00:01Z', data: { people_count: 1, people_in: 0, people_out: 0, pipeline: { fps: 9.5, frames_dropped: 0, lines: [{ name: 'exit', people_in: 3, people_out: 1 }], zones: [] } } });
    expect(s.cameras.get(4)).toMatchObject({ fps: 9.5, lines: [{ name: 'exit', people_in: 3, people_out: 1 }], zones: [] });
  });

  it('sums the site total over cameras', () => {
    let s = applySnapshot(emptyLiveState, [snapshot(), snapshot({ camera_id: 2, people_count: 5, people_in_today: 1, people_out_today: 0, status: 'error' })], 0);
    expect(siteTotals(s.cameras)).toEqual({ occupancy: 7, in_today: 11, out_today: 8, online: 1, cameras: 2 });
    s = applyMessage(s, count('2026-03-01T10:00:03Z', { people_count: 0 }, 2));
    expect(siteTotals(s.cameras).occupancy).toBe(2);
    expect(s.history.at(-1)).toEqual({ t: Date.parse('2026-03-01T10:00:03Z'), total: 2 });
  });

  it('compares times beyond milliseconds', () => {
    expect(timeKey('2026-03-01T10:00:00.1234567Z') > timeKey('2026-03-01T10:00:00.123456Z')).toBe(true);
    expect(timeKey('2026-03-01T10:00:00Z')).toBe('2026-03-01T10:00:00.000000000');
  });
});

describe('occupancy history', () => {
  it('keeps about one point per second', () => {
    let h = appendPoint([], 0, 1);
    h = appendPoint(h, 1000, 2);
    h = appendPoint(h, 1300, 3);
    h = appendPoint(h, 1600, 4);
    expect(h).toEqual([{ t: 0, total: 1 }, { t: 1000, total: 2 }, { t: 1600, total: 4 }]);
    h = appendPoint(h, 2100, 5);
    expect(h.map((p) => p.t)).toEqual([0, 1000, 2100]);
    h = appendPoint(h, 2200, 6);
    expect(h.map((p) => p.t)).toEqual([0, 1000, 2100, 2200]);
  });

  it('forgets points older than an hour and ignores time going backwards', () => {
    let h = appendPoint([{ t: 0, total: 1 }], 10_000, 2);
    h = appendPoint(h, HISTORY_SPAN_MS + 5_000, 3);
    expect(h.map((p) => p.t)).toEqual([10_000, HISTORY_SPAN_MS + 5_000]);
    expect(appendPoint(h, 20_000, 9)).toEqual(h);
  });

  it('is seeded from minute buckets that precede the live points', () => {
    const buckets = [
      { start: '2026-03-01T10:01:00Z', avg_count: 2 },
      { start: '2026-03-01T10:00:00Z', avg_count: 1.5 },
      { start: '2026-03-01T10:02:00Z', avg_count: 7 },
    ];
    const live = [{ t: Date.parse('2026-03-01T10:01:30Z'), total: 3 }];
    expect(seedHistory(buckets, live)).toEqual([
      { t: Date.parse('2026-03-01T10:00:00Z'), total: 1.5 },
      { t: Date.parse('2026-03-01T10:01:00Z'), total: 2 },
      ...live,
    ]);
  });
});
