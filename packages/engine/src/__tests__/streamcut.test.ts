import { checkSchedule } from '../checker';
import { decode } from '../packer';
import { lowerBound } from '../index';
import { buildResult } from '../result';
import { bestSubset, streamCutApplies, streamCutPlan } from '../strategies/streamcut';
import { T0, at, inst, vialsFor } from './helpers';

const lot = (id: string, type: string, hours: number) => ({ lot_id: id, type, vials: vialsFor(hours) });

describe('stream cut', () => {
  it('bestSubset: the largest total ≤ cap (weights rounded up to the grid)', () => {
    const w = [7, 5, 4, 3];
    const pick = bestSubset([0, 1, 2, 3], (j) => w[j], 12);
    expect(pick.reduce((a, j) => a + w[j], 0)).toBe(12);
    expect(new Set(pick).size).toBe(pick.length);
    expect(bestSubset([0, 1], (j) => w[j], 4.9)).toEqual([]);
    expect(bestSubset([], (j) => w[j], 10)).toEqual([]);
    // never above the cap, even off the grid
    const odd = [3.333, 3.333, 3.333];
    const p2 = bestSubset([0, 1, 2], (j) => odd[j], 9.99);
    expect(p2.reduce((a, j) => a + odd[j], 0)).toBeLessThanOrEqual(9.99);
  });

  it('cuts three types of ten 15 h lots into five full blocks (the lower bound, 678 h)', () => {
    const i = inst({
      lots_data: ['A', 'B', 'C'].flatMap((t) => Array.from({ length: 10 }, (_, k) => lot(`${t}${k}`, t, 15))),
    });
    const plan = streamCutPlan(i, { seed: 1, trials: 20 });
    expect(plan).not.toBeNull();
    const d = decode(i, plan!);
    expect(checkSchedule(i, buildResult(i, d, lowerBound(i))).ok).toBe(true);
    expect(d.makespan).toBeCloseTo(lowerBound(i), 3);
  });

  it('does not apply with start windows or above its size limit', () => {
    const windowed = inst({ lots_data: [{ ...lot('A', 'X', 10), start_window: at(5) }], start_time: T0 });
    expect(streamCutApplies(windowed)).toBe(false);
    const big = inst({ lots_data: Array.from({ length: 301 }, (_, k) => lot(`L${k}`, 'X', 1)) });
    expect(streamCutApplies(big)).toBe(false);
    expect(streamCutPlan(big, { seed: 1, trials: 5 })).toBeNull();
  });
});
