import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  combinatorialLowerBound,
  constructSequences,
  lineSpan,
  loadBestKnown,
  makespan,
  optimalLineOrder,
  parseValladaInstance,
  sequencingLocalSearch,
  solveSequencingMilp,
  validateSequences,
  valladaToScheduleInput,
  type SequencingProblem,
} from './index';
import { subsetCosts } from './setpart';
import { runValladaBenchmark, shutdownMilpWorkers, valladaInstanceName } from './index';

afterAll(async () => {
  await shutdownMilpWorkers();
});

function findBenchDir(): string {
  let dir = __dirname;
  for (;;) {
    const cand = path.join(dir, 'shared', 'bench', 'vallada-ruiz');
    if (fs.existsSync(cand)) return cand;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('shared/bench/vallada-ruiz not found above ' + __dirname);
    dir = up;
  }
}
const BENCH = findBenchDir();
const parsed = new Map<string, SequencingProblem>();
/** Parsed once per test file (the 150-job files are the slow part of the suite otherwise). */
const load = (name: string): SequencingProblem => {
  let pr = parsed.get(name);
  if (!pr) {
    pr = parseValladaInstance(fs.readFileSync(path.join(BENCH, name + '.txt'), 'utf8'));
    parsed.set(name, pr);
  }
  return pr;
};

const bestKnown = loadBestKnown(fs.readFileSync(path.join(BENCH, 'best_known_all.csv'), 'utf8'));
const instanceNames = fs
  .readdirSync(BENCH)
  .filter((f) => f.endsWith('.txt'))
  .map((f) => f.replace(/\.txt$/, ''));

function randomProblem(seed: number, n: number, m: number, forbid = false): SequencingProblem {
  let s = seed >>> 0;
  const r = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const p = Array.from({ length: n }, () => Array.from({ length: m }, () => 1 + Math.floor(r() * 20)));
  if (forbid) for (let j = 0; j < n; j++) for (let k = 1; k < m; k++) if (r() < 0.3) p[j][k] = Infinity;
  const setup = Array.from({ length: m }, () =>
    Array.from({ length: n }, (_, i) =>
      Array.from({ length: n }, (_, j) => (i === j ? 0 : Math.floor(r() * 10))),
    ),
  );
  return { n, m, p, setup };
}

/** Exhaustive optimum: every assignment, each line ordered optimally. */
function bruteForce(pr: SequencingProblem): number {
  let best = Infinity;
  const assign = new Array<number>(pr.n).fill(0);
  const rec = (j: number): void => {
    if (j === pr.n) {
      let c = 0;
      for (let k = 0; k < pr.m; k++) {
        const jobs = assign.map((a, i) => (a === k ? i : -1)).filter((i) => i >= 0);
        c = Math.max(c, lineSpan(pr, k, optimalLineOrder(pr, k, jobs)));
      }
      best = Math.min(best, c);
      return;
    }
    for (let k = 0; k < pr.m; k++) {
      if (!Number.isFinite(pr.p[j][k])) continue;
      assign[j] = k;
      rec(j + 1);
    }
  };
  rec(0);
  return best;
}

describe('Vallada-Ruiz instances', () => {
  test('parses the real files: p[j][k] and setup[k][i][j]', () => {
    const pr = load('I_10_2_S_1-9_1');
    expect(pr.n).toBe(10);
    expect(pr.m).toBe(2);
    expect(pr.p[0]).toEqual([30, 50]);
    expect(pr.p[9]).toEqual([67, 6]);
    expect(pr.setup[0][0][1]).toBe(2); // M0 row 0: 0 2 6 ...
    expect(pr.setup[0][1][0]).toBe(8);
    expect(pr.setup[1][9][7]).toBe(1); // M1 last row: 4 5 5 7 5 6 2 1 2 0
    for (const name of instanceNames) {
      const q = load(name);
      const bk = bestKnown.get(name);
      expect(bk).toBeDefined();
      expect([q.n, q.m]).toEqual([bk!.n, bk!.m]);
      expect(q.setup.length).toBe(q.m);
      expect(q.setup[q.m - 1].length).toBe(q.n);
    }
  });

  test('rejects malformed text', () => {
    expect(() => parseValladaInstance('3 2 1\n2\n0 1 1 2\n')).toThrow(/unexpected end/);
    expect(() => parseValladaInstance('1 1 1\n1\n0 5\nXYZ\n')).toThrow(/SSD/);
  });

  test('maps to the platform schedule body', () => {
    const pr = load('I_10_2_S_1-9_1');
    const body = valladaToScheduleInput(pr);
    expect(body.lots_data).toHaveLength(10);
    expect(body.lots_data[0]).toEqual({
      lot_id: 'J0',
      type: 'T0',
      vials: 1,
      fill_hours_by_line: { '1': 30, '2': 50 },
    });
    expect(body.config.window_hours).toBeNull();
    expect(body.config.initial_clean).toBe(false);
    expect(body.config.lines.map((l) => l.id)).toEqual([1, 2]);
    expect(body.config.lines[0].changeover_matrix.T0.T1).toBe(2);
    expect(body.config.lines[1].changeover_matrix.T9.T7).toBe(1);
    expect(body.config.lines[0].changeover_matrix.T0.T0).toBeUndefined();
  });

  test('best-known table', () => {
    expect(bestKnown.get('I_10_2_S_1-9_1')).toEqual({
      n: 10,
      m: 2,
      best_verified_ub: 169,
      ub_is_optimal: true,
    });
    expect(bestKnown.get('I_50_10_S_1-9_1')?.ub_is_optimal).toBe(false);
    expect(bestKnown.get('I_250_30_S_1-124_1')?.best_verified_ub).toBeNull();
  });

  test('the combinatorial lower bound never exceeds the best known makespan', () => {
    for (const name of instanceNames) {
      const pr = load(name);
      expect(combinatorialLowerBound(pr)).toBeLessThanOrEqual(bestKnown.get(name)!.best_verified_ub!);
    }
  });
});

describe('sequencing tools', () => {
  test('line span, validation', () => {
    const pr: SequencingProblem = {
      n: 3,
      m: 2,
      p: [
        [2, Infinity],
        [3, 4],
        [1, 1],
      ],
      setup: [
        [
          [0, 1, 2],
          [3, 0, 4],
          [5, 6, 0],
        ],
        [
          [0, 0, 0],
          [0, 0, 7],
          [8, 0, 0],
        ],
      ],
    };
    expect(lineSpan(pr, 0, [0, 1, 2])).toBe(2 + 1 + 3 + 4 + 1);
    expect(lineSpan(pr, 1, [2, 1])).toBe(1 + 0 + 4);
    expect(makespan(pr, [[0], [2, 1]])).toBe(5);
    expect(validateSequences(pr, [[0], [2, 1]])).toEqual([]);
    expect(validateSequences(pr, [[1], [0, 2]]).join()).toMatch(/job 0 is not allowed on line 1/);
    expect(validateSequences(pr, [[0, 0], [2]]).join()).toMatch(
      /job 0 is scheduled 2 times.*job 1 is not scheduled|job 1 is not scheduled/,
    );
  });

  test('Held-Karp line order and subset costs match brute force', () => {
    const pr = randomProblem(7, 7, 1);
    const jobs = [0, 1, 2, 3, 4, 5, 6];
    const perms = (a: number[]): number[][] =>
      a.length <= 1
        ? [a]
        : a.flatMap((x, i) => perms([...a.slice(0, i), ...a.slice(i + 1)]).map((r) => [x, ...r]));
    const best = Math.min(...perms(jobs).map((s) => lineSpan(pr, 0, s)));
    expect(lineSpan(pr, 0, optimalLineOrder(pr, 0, jobs))).toBe(best);
    const costs = subsetCosts(pr, jobs, 0, Infinity);
    expect(costs[(1 << 7) - 1]).toBe(best);
    expect(costs[0b101]).toBe(Math.min(lineSpan(pr, 0, [0, 2]), lineSpan(pr, 0, [2, 0])));
  });

  test('local search: valid, never worse than its input, deterministic per seed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e6 }),
        fc.integer({ min: 1, max: 25 }),
        fc.integer({ min: 1, max: 4 }),
        (seed, n, m) => {
          const pr = randomProblem(seed, n, m, true);
          const start = constructSequences(pr);
          expect(validateSequences(pr, start)).toEqual([]);
          const far = Date.now() + 60000;
          const a = sequencingLocalSearch(pr, start, far, { seed, maxIterations: 30 });
          const b = sequencingLocalSearch(pr, start, far, { seed, maxIterations: 30 });
          expect(validateSequences(pr, a)).toEqual([]);
          expect(makespan(pr, a)).toBeLessThanOrEqual(makespan(pr, start));
          expect(a).toEqual(b);
          expect(makespan(pr, a)).toBeGreaterThanOrEqual(combinatorialLowerBound(pr));
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('solveSequencingMilp (HiGHS in a worker thread)', () => {
  jest.setTimeout(120000);
  const small = instanceNames.filter((n) => /^I_1[02]_/.test(n));

  test.each(small)('proves the optimum of %s', async (name) => {
    const pr = load(name);
    const bk = bestKnown.get(name)!;
    expect(bk.ub_is_optimal).toBe(true);
    const t0 = Date.now();
    const res = await solveSequencingMilp(pr, constructSequences(pr), { timeLimitS: 10, seed: 1 });
    const seconds = (Date.now() - t0) / 1000;
    expect(validateSequences(pr, res.sequences)).toEqual([]);
    expect(makespan(pr, res.sequences)).toBe(res.objective);
    expect(res.objective).toBe(bk.best_verified_ub);
    expect(res.bound).toBe(bk.best_verified_ub);
    expect(res.optimal).toBe(true);
    expect(seconds).toBeLessThan(10.5);
  });

  test('matches exhaustive search on random small instances (with forbidden lines)', async () => {
    for (let seed = 1; seed <= 5; seed++) {
      const pr = randomProblem(seed * 97, 6 + (seed % 2), seed <= 2 ? 2 : 3, true);
      const res = await solveSequencingMilp(pr, constructSequences(pr), { timeLimitS: 10, seed });
      expect(res.optimal).toBe(true);
      expect(res.objective).toBe(bruteForce(pr));
      expect(validateSequences(pr, res.sequences)).toEqual([]);
    }
  });

  test('identical lines (symmetry breaking in both models) match exhaustive search', async () => {
    for (let seed = 1; seed <= 2; seed++) {
      const base = randomProblem(seed * 31, 7, 1);
      const m = 3;
      const pr: SequencingProblem = {
        n: 7,
        m,
        p: base.p.map((row) => [row[0], row[0], row[0]]),
        setup: [base.setup[0], base.setup[0], base.setup[0]],
      };
      const opt = bruteForce(pr);
      for (const mode of ['full', 'arc'] as const) {
        const res = await solveSequencingMilp(pr, constructSequences(pr), { timeLimitS: 20, seed, mode });
        expect(res.optimal).toBe(true);
        expect(res.objective).toBe(opt);
      }
    }
  });

  test('edge cases: no jobs, one line, fewer jobs than lines, fractional data, zero time limit, concurrent solves', async () => {
    const oneLine: SequencingProblem = {
      n: 4,
      m: 1,
      p: [[3], [2], [5], [1]],
      setup: [
        [
          [0, 1, 2, 3],
          [1, 0, 1, 1],
          [4, 4, 0, 2],
          [1, 2, 3, 0],
        ],
      ],
    };
    const r1 = await solveSequencingMilp(oneLine, [[0, 1, 2, 3]], { timeLimitS: 2 });
    expect(r1).toMatchObject({ objective: bruteForce(oneLine), optimal: true });
    const empty: SequencingProblem = { n: 0, m: 2, p: [], setup: [[], []] };
    expect(await solveSequencingMilp(empty, [[], []], { timeLimitS: 1 })).toEqual({
      sequences: [[], []],
      objective: 0,
      bound: 0,
      optimal: true,
    });
    const fewer: SequencingProblem = {
      n: 2,
      m: 4,
      p: [
        [3, 4, 5, 6],
        [9, 1, Infinity, 2],
      ],
      setup: Array.from({ length: 4 }, () => [
        [0, 1],
        [1, 0],
      ]),
    };
    const rf = await solveSequencingMilp(fewer, constructSequences(fewer), { timeLimitS: 2 });
    expect(rf).toMatchObject({ objective: 3, optimal: true });
    const frac: SequencingProblem = {
      n: 5,
      m: 2,
      p: [
        [1.5, 2.25],
        [3.1, 1],
        [2, 2],
        [0.5, 4],
        [1, 1],
      ],
      setup: Array.from({ length: 2 }, () =>
        Array.from({ length: 5 }, (_, i) =>
          Array.from({ length: 5 }, (_, j) => (i === j ? 0 : 0.3 * ((i + j) % 3))),
        ),
      ),
    };
    const rfr = await solveSequencingMilp(frac, constructSequences(frac), { timeLimitS: 5 });
    expect(rfr.optimal).toBe(true);
    expect(rfr.objective).toBeCloseTo(bruteForce(frac), 9);
    // zero budget: still a valid answer, at least as good as the warm start
    const pr = load('I_12_3_S_1-49_1');
    const warm = constructSequences(pr);
    const r0 = await solveSequencingMilp(pr, warm, { timeLimitS: 0 });
    expect(validateSequences(pr, r0.sequences)).toEqual([]);
    expect(r0.objective).toBeLessThanOrEqual(makespan(pr, warm));
    expect(r0.bound).toBeLessThanOrEqual(139);
    // two solves at once use two workers and both finish correctly
    const [a, b] = await Promise.all([
      solveSequencingMilp(load('I_10_3_S_1-49_1'), [], { timeLimitS: 10 }),
      solveSequencingMilp(load('I_12_4_S_1-99_1'), [], { timeLimitS: 10 }),
    ]);
    expect([a.objective, a.optimal, b.objective, b.optimal]).toEqual([88, true, 120, true]);
  });

  test('arc-based model (forced) also proves a small optimum', async () => {
    const pr = load('I_10_4_S_1-99_1');
    const res = await solveSequencingMilp(pr, constructSequences(pr), {
      timeLimitS: 30,
      seed: 1,
      mode: 'arc',
    });
    expect(res.objective).toBe(119);
    expect(res.optimal).toBe(true);
  });

  test('large instance: LNS never worse than the warm start, sound bound, progress every 250 ms', async () => {
    const name = 'I_50_10_S_1-49_1';
    const pr = load(name);
    const warm = constructSequences(pr);
    const stamps: number[] = [];
    const t0 = Date.now();
    const res = await solveSequencingMilp(pr, warm, {
      timeLimitS: 2,
      seed: 3,
      onProgress: () => stamps.push(Date.now()),
    });
    const elapsed = Date.now() - t0;
    expect(validateSequences(pr, res.sequences)).toEqual([]);
    expect(res.objective).toBe(makespan(pr, res.sequences));
    expect(res.objective).toBeLessThanOrEqual(makespan(pr, warm));
    expect(res.bound).toBeLessThanOrEqual(bestKnown.get(name)!.best_verified_ub!);
    expect(res.bound).toBeGreaterThanOrEqual(combinatorialLowerBound(pr));
    expect(elapsed).toBeLessThan(2000 + 1600); // hard stop: time limit + 1.5 s grace (loaded CI machines)
    // The heartbeat re-emits every 200 ms; allow for timer lateness on a loaded machine in the maximum,
    // and require the typical gap to be within 250 ms.
    const gaps = [stamps[0] - t0, ...stamps.slice(1).map((s, i) => s - stamps[i])].sort((a, b) => a - b);
    expect(stamps.length).toBeGreaterThanOrEqual(6);
    expect(gaps[Math.floor(gaps.length * 0.9)]).toBeLessThanOrEqual(250);
    expect(gaps[gaps.length - 1]).toBeLessThanOrEqual(1000);
  });

  test('abort terminates the worker within 100 ms with an AbortError', async () => {
    const pr = load('I_50_10_S_1-9_1');
    const ac = new AbortController();
    const p = solveSequencingMilp(pr, constructSequences(pr), {
      timeLimitS: 30,
      signal: ac.signal,
      mode: 'arc',
    });
    await new Promise((r) => setTimeout(r, 700));
    const t0 = Date.now();
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - t0).toBeLessThan(100);
    // an already-aborted signal rejects at once
    await expect(solveSequencingMilp(pr, [], { timeLimitS: 1, signal: ac.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  test('an invalid warm start is replaced, an invalid problem rejects', async () => {
    const pr = load('I_10_3_S_1-49_1');
    const res = await solveSequencingMilp(pr, [[0, 0], [], []], { timeLimitS: 5 });
    expect(validateSequences(pr, res.sequences)).toEqual([]);
    expect(res.objective).toBe(88);
    await expect(
      solveSequencingMilp({ n: 1, m: 1, p: [[Infinity]], setup: [[[0]]] }, [[0]], { timeLimitS: 1 }),
    ).rejects.toThrow(/not allowed on any line/);
  });
});

describe('runValladaBenchmark', () => {
  jest.setTimeout(60000);
  test('one small instance with a caller warm start: row shape, RPD 0 and proven optimum', async () => {
    expect(valladaInstanceName('/x/y/I_10_2_S_1-9_1.txt')).toBe('I_10_2_S_1-9_1');
    let warmCalls = 0;
    const rows = await runValladaBenchmark({
      dir: BENCH,
      filter: (name) => name === 'I_10_4_S_1-99_1',
      msPerUnit: 250, // 10·2·250 ms = 5 s budget for the test (the bench uses 30)
      warmStart: (pr, deadline) => {
        warmCalls++;
        expect(deadline).toBeGreaterThan(Date.now());
        return constructSequences(pr);
      },
    });
    expect(warmCalls).toBe(1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      instance: 'I_10_4_S_1-99_1',
      n: 10,
      m: 4,
      best_known: 119,
      makespan: 119,
      rpd: 0,
      bound: 119,
      optimal: true,
    });
    expect(rows[0].seconds).toBeLessThan(5 + 1.6);
  });
});
