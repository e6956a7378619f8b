import fc from 'fast-check';
import {
  checkSchedule,
  lowerBound,
  normalizeInput,
  solve,
  type RawScheduleInput,
  type StrategyId,
} from '../index';
import { generateInstance } from '../bench/generate';
import { HEURISTICS, T0, at, inst } from './helpers';

/** Random valid instances: 1–14 lots, 1–3 lines, windows, downtime, matrices, unrelated lines. */
const instanceArb: fc.Arbitrary<RawScheduleInput> = fc
  .record({
    n: fc.integer({ min: 1, max: 14 }),
    m: fc.integer({ min: 1, max: 3 }),
    types: fc.integer({ min: 1, max: 4 }),
    seed: fc.integer({ min: 0, max: 1e6 }),
    windowHours: fc.option(fc.integer({ min: 60, max: 200 }), { nil: null, freq: 4 }),
    initialClean: fc.boolean(),
    useMatrix: fc.boolean(),
    unrelated: fc.boolean(),
    windows: fc.boolean(),
    downtime: fc.boolean(),
  })
  .map((p) => {
    let s = p.seed;
    const rnd = (): number => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return s / 2147483648;
    };
    const W = p.windowHours ?? 1000;
    const lots = Array.from({ length: p.n }, (_, i) => {
      const lot: Record<string, unknown> = {
        lot_id: `L${i}`,
        type: `T${Math.floor(rnd() * p.types)}`,
        vials: 1000 + Math.floor(rnd() * Math.min(W, 100) * 19920 * 0.9),
        priority: Math.floor(rnd() * 3),
      };
      if (p.unrelated) {
        const by: Record<string, number> = {};
        for (let k = 1; k <= p.m; k++) if (rnd() < 0.7 || k === 1) by[String(k)] = 0.5 + rnd() * 40;
        lot.fill_hours_by_line = by;
      }
      if (p.windows && rnd() < 0.5) lot.start_window = at(rnd() * 100);
      if (p.windows && rnd() < 0.5) lot.end_window = at(100 + rnd() * 200);
      return lot;
    });
    const matrix: Record<string, Record<string, number>> = {};
    if (p.useMatrix)
      for (let a = 0; a < p.types; a++)
        for (let b = 0; b < p.types; b++) (matrix[`T${a}`] ??= {})[`T${b}`] = Math.round(rnd() * 12);
    const lines = Array.from({ length: p.m }, (_, k) => ({
      id: k + 1,
      fill_rate_vph: 15000 + Math.floor(rnd() * 10000),
      downtime: p.downtime ? [{ start: at(rnd() * 150), end: at(150 + rnd() * 30) }] : [],
      ...(p.useMatrix && k === 1 ? { changeover_matrix: { T0: { T1: 0.5 } } } : {}),
    }));
    return {
      lots_data: lots,
      config: {
        lines,
        window_hours: p.windowHours,
        initial_clean: p.initialClean,
        ...(p.useMatrix ? { changeover_matrix: matrix } : {}),
      },
      start_time: T0,
    };
  });

/** Vallada–Ruiz-like instances: every lot its own type, per-line setup matrices, unrelated lines, no cleaning. */
const valladaArb: fc.Arbitrary<RawScheduleInput> = fc
  .record({
    n: fc.integer({ min: 2, max: 12 }),
    m: fc.integer({ min: 2, max: 5 }),
    seed: fc.integer({ min: 0, max: 1e6 }),
  })
  .map(({ n, m, seed }) => {
    let s = seed + 1;
    const rnd = (): number => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return s / 2147483648;
    };
    const lots = Array.from({ length: n }, (_, j) => {
      const by: Record<string, number> = {};
      for (let k = 1; k <= m; k++) if (k === 1 || rnd() < 0.8) by[String(k)] = 1 + Math.floor(rnd() * 99);
      return { lot_id: `J${j}`, type: `T${j}`, vials: 1, priority: 0, fill_hours_by_line: by };
    });
    const lines = Array.from({ length: m }, (_, k) => {
      const mat: Record<string, Record<string, number>> = {};
      for (let a = 0; a < n; a++)
        for (let b = 0; b < n; b++) if (a !== b) (mat[`T${a}`] ??= {})[`T${b}`] = Math.floor(rnd() * 50);
      return { id: k + 1, changeover_matrix: mat };
    });
    return { lots_data: lots, config: { lines, window_hours: null, initial_clean: false } };
  });

async function checkStrategy(
  strategy: StrategyId,
  runs: number,
  timeLimitS: number,
  arb = instanceArb,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(arb, fc.integer({ min: 0, max: 1000 }), async (raw, seed) => {
      const norm = normalizeInput(raw);
      if (!norm.ok) return; // rare: a lot longer than every window on its lines
      const i = norm.instance;
      const a = await solve(i, { strategy, seed, timeLimitS });
      const chk = checkSchedule(i, a.result);
      if (!chk.ok) throw new Error(chk.violations.slice(0, 3).join('; '));
      expect(a.result.kpis.fallback).toBeUndefined();
      expect(a.result.makespan).toBeGreaterThanOrEqual(lowerBound(i) - 1e-4);
      expect(a.result.makespan + 1e-6).toBeGreaterThanOrEqual(a.lower_bound);
      expect(a.result.lots_scheduled).toBe(i.lots.length);
      const b = await solve(i, { strategy, seed, timeLimitS });
      expect(b.result.activities).toEqual(a.result.activities);
    }),
    { numRuns: runs, seed: 20261122 },
  );
}

describe('property: every strategy is feasible, above the lower bound and deterministic per seed', () => {
  for (const s of HEURISTICS) it(s, () => checkStrategy(s, 30, 30), 120_000);
  // milp-opt stops at its wall-clock limit, so it is deterministic only when it finishes before it:
  // these instances take well under a second, and 20 s leaves room for a loaded 2-core machine
  // (a 3 s limit was hit when the suite ran beside others, and the two solves then differed).
  it('milp-opt', () => checkStrategy('milp-opt', 4, 20), 240_000);
  for (const s of ['smart-pack', 'hybrid-pack', 'cfs-pack'] as StrategyId[])
    it(`${s} on Vallada–Ruiz-like instances`, () => checkStrategy(s, 15, 30, valladaArb), 120_000);
  it('the packer never crashes on degenerate inputs (zero clean, zero changeovers)', async () => {
    const raw = {
      lots_data: [1, 2, 3].map((i) => ({ lot_id: `x${i}`, type: 'A', vials: 100 })),
      config: { clean_hours: 0, changeover_same_hours: 0, changeover_diff_hours: 0 },
    };
    for (const s of HEURISTICS) {
      const i = inst(raw);
      const out = await solve(i, { strategy: s });
      expect(checkSchedule(i, out.result).ok).toBe(true);
    }
  });
});

describe('time limit, abort and progress', () => {
  const big = inst(generateInstance({ lots: 3000, lines: 8, seed: 7 }));

  it('respects the time limit', async () => {
    for (const s of ['smart-pack', 'hybrid-pack'] as StrategyId[]) {
      const t = performance.now();
      const out = await solve(big, { strategy: s, timeLimitS: 0.3 });
      const took = (performance.now() - t) / 1000;
      // searches stop within one checkpoint (≤ 10 ms of CPU) of the limit; a construction cut by the
      // limit finishes in a fast mode, and decoding 3,000 lots still takes tens of ms. Loose bound for
      // loaded CI machines (this suite is often run beside others on 2 cores).
      expect(took).toBeLessThan(3);
      expect(checkSchedule(big, out.result).ok).toBe(true);
    }
  }, 60_000);

  it('rejects with AbortError soon after the signal aborts, and reports progress at least every 250 ms', async () => {
    const ac = new AbortController();
    const stamps: number[] = [];
    const t0 = performance.now();
    const p = solve(big, {
      strategy: 'hybrid-pack',
      signal: ac.signal,
      timeLimitS: 60,
      onProgress: () => stamps.push(performance.now()),
    });
    setTimeout(() => ac.abort(), 1200);
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    const stoppedAfterAbort = performance.now() - t0 - 1200;
    // design: ≤ 10 ms of CPU between checkpoints, progress every 200 ms; bounds are loose for loaded CI machines
    expect(stoppedAfterAbort).toBeLessThan(1000);
    expect(stamps.length).toBeGreaterThan(3);
    for (let i = 1; i < stamps.length; i++) expect(stamps[i] - stamps[i - 1]).toBeLessThan(1000);
  }, 60_000);

  it('rejects immediately when the signal is already aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(solve(big, { strategy: 'lpt-pack', signal: ac.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });
});
